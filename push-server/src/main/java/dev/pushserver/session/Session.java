package dev.pushserver.session;

import dev.pushserver.app.App;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the core needs from one client connection, whatever carries it (the Netty implementation lives in
 * {@code transport}; tests use a fake). A session belongs to one event loop, {@link #executor()}: the core touches a
 * connection's state only there. {@link #send} and {@link #close} may be called from any thread and take effect on
 * that loop, so every write to a connection goes through its own loop and nothing follows its close frame.
 */
public interface Session {

    /** The Pusher socket id ({@code 123.456}), unique among open connections. */
    String socketId();

    App app();

    /** Index of the session's event loop among the server's loops (0 to loops - 1), for per-loop structures. */
    int loop();

    /** The session's event loop. */
    ScheduledExecutorService executor();

    /** Sends one encoded server message (JSON) and flushes it; ignored once the session is closing. Any thread. */
    void send(byte[] message);

    /**
     * Writes a frame that many sessions share (fan-out); it is flushed once at the end of the loop's turn. Call on
     * the session's loop; false when the session is closing and nothing was written.
     */
    boolean deliver(Frame frame);

    /**
     * Sends {@code pusher:error} with the code, then a close frame with the same code, and drops the connection once
     * the client answers or after a short timeout. Idempotent. Any thread.
     */
    void close(int code, String reason);

    /** False once the session is closing or closed. */
    boolean isOpen();
}
