package dev.pushserver.core;

import dev.pushserver.app.App;
import dev.pushserver.session.Frame;
import dev.pushserver.session.Session;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A session on a {@link ManualLoop} that records what the server sends. Like the Netty session, calls from other
 * threads or loops are handed to its own loop, nothing is written after its close, and {@link #deliver} refuses to
 * run anywhere but on its loop.
 */
final class FakeSession implements Session {

    private final String socketId;
    private final App app;
    final ManualLoop loop;
    private final List<String> received = new ArrayList<>();
    private boolean open = true;
    Integer closeCode;
    String closeReason;
    /** what the transport does once the close handshake is over: tells the core the connection has gone */
    Runnable onClosed = () -> { };

    FakeSession(String socketId, App app, ManualLoop loop) {
        this.socketId = socketId;
        this.app = app;
        this.loop = loop;
    }

    @Override
    public String socketId() {
        return socketId;
    }

    @Override
    public App app() {
        return app;
    }

    @Override
    public int loop() {
        return loop.index;
    }

    @Override
    public ScheduledExecutorService executor() {
        return loop;
    }

    private boolean inLoop() {
        return loop.inLoop();
    }

    @Override
    public void send(byte[] message) {
        String text = new String(message, StandardCharsets.UTF_8);
        if (inLoop()) {
            record(text);
        } else {
            loop.execute(() -> record(text));
        }
    }

    private void record(String text) {
        if (!loop.inLoop()) {
            throw new AssertionError("written off its loop: " + text);
        }
        if (open) {
            received.add(text);
        }
    }

    @Override
    public boolean deliver(Frame frame) {
        if (!loop.inLoop()) {
            throw new AssertionError("deliver() called off the session's loop");
        }
        if (!open) {
            return false;
        }
        received.add(((FakeFrame) frame).text);
        return true;
    }

    @Override
    public void close(int code, String reason) {
        if (inLoop()) {
            closeNow(code, reason);
        } else {
            loop.execute(() -> closeNow(code, reason));
        }
    }

    private void closeNow(int code, String reason) {
        if (!open) {
            return;
        }
        open = false;
        closeCode = code;
        closeReason = reason;
        loop.execute(onClosed);
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Everything received so far, oldest first. Read it from the test thread between loop runs. */
    List<String> received() {
        return new ArrayList<>(received);
    }
}
