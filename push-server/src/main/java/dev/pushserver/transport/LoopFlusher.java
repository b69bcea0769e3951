package dev.pushserver.transport;

import dev.pushserver.session.Guarded;
import io.netty.channel.EventLoop;
import java.util.Arrays;

/**
 * Flushes, once per event-loop turn, every connection of one loop that fan-out wrote to. When many messages are
 * queued for a loop they are all written before a single flush, so one syscall carries several frames per
 * connection and the server speeds up exactly when it is busiest. Loop-confined.
 */
final class LoopFlusher implements Runnable {

    /** A connection to flush. */
    interface Target {
        void flush();
    }

    private final EventLoop loop;
    private Target[] pending = new Target[256];
    private int size;
    private boolean scheduled;

    LoopFlusher(EventLoop loop) {
        this.loop = loop;
    }

    /** Marks a session for the next flush (once per turn: the session keeps track); call on this loop only. */
    void mark(Target c) {
        if (size == pending.length) {
            pending = Arrays.copyOf(pending, size * 2);
        }
        pending[size++] = c;
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
            Target c = pending[i];
            pending[i] = null;
            try {
                c.flush();
            } catch (Throwable t) {
                // one connection's failure must not leave the others unflushed, now or later
                Guarded.failed("flushing " + c, t);
            }
        }
        if (pending.length > 4096 && n < pending.length / 8) {
            pending = new Target[256];
        }
    }
}
