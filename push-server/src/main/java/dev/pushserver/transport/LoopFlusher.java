package dev.pushserver.transport;

import dev.pushserver.connection.Connection;
import io.netty.channel.EventLoop;
import java.util.Arrays;

/**
 * Flushes, once per event-loop turn, every connection of one loop that fan-out wrote to. When many messages are
 * queued for a loop they are all written before a single flush, so one syscall carries several frames per
 * connection and the server speeds up exactly when it is busiest. Loop-confined.
 */
public final class LoopFlusher implements Runnable {

    private final EventLoop loop;
    private Connection[] pending = new Connection[256];
    private int size;
    private boolean scheduled;

    LoopFlusher(EventLoop loop) {
        this.loop = loop;
    }

    /** Marks a connection for the next flush; call on this loop only. */
    public void mark(Connection c) {
        if (c.markFlushPending()) {
            if (size == pending.length) {
                pending = Arrays.copyOf(pending, size * 2);
            }
            pending[size++] = c;
        }
        if (!scheduled) {
            scheduled = true;
            loop.execute(this);
        }
    }

    @Override
    public void run() {
        scheduled = false;
        int n = size;
        size = 0;
        for (int i = 0; i < n; i++) {
            Connection c = pending[i];
            pending[i] = null;
            c.flush();
        }
        if (pending.length > 4096 && n < pending.length / 8) {
            pending = new Connection[256];
        }
    }
}
