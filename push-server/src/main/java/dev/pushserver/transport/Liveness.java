package dev.pushserver.transport;

import dev.pushserver.session.Guarded;
import dev.pushserver.protocol.ErrorCodes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Detects dead clients with WebSocket ping frames (reference §1.7): after {@code activity_timeout} without any
 * inbound frame a connection gets a ping; without any inbound frame {@code pong_timeout} after that it is closed
 * with 4201. One sweep per event loop over that loop's connections, instead of a timer per connection.
 */
final class Liveness {

    private final Loops loops;
    private final long activityNanos;
    private final long pongNanos;
    private final List<Set<NettySession>> perLoop = new ArrayList<>();
    private final List<ScheduledFuture<?>> sweeps = new ArrayList<>();

    Liveness(Loops loops, int activityTimeoutSeconds, int pongTimeoutSeconds) {
        this.loops = loops;
        this.activityNanos = TimeUnit.SECONDS.toNanos(activityTimeoutSeconds);
        this.pongNanos = TimeUnit.SECONDS.toNanos(pongTimeoutSeconds);
        for (int i = 0; i < loops.size(); i++) {
            perLoop.add(new HashSet<>());
        }
    }

    void start() {
        long periodMs = Math.max(250, Math.min(5_000, Math.min(activityNanos, pongNanos) / 1_000_000 / 4));
        for (int i = 0; i < loops.size(); i++) {
            int index = i;
            Runnable sweep = Guarded.task("liveness sweep", () -> sweep(index));
            sweeps.add(loops.get(i).scheduleAtFixedRate(sweep, periodMs, periodMs, TimeUnit.MILLISECONDS));
        }
    }

    void stop() {
        sweeps.forEach(f -> f.cancel(false));
    }

    /** Call on the connection's loop. */
    void add(NettySession c) {
        perLoop.get(c.loop()).add(c);
    }

    /** Call on the connection's loop. */
    void remove(NettySession c) {
        perLoop.get(c.loop()).remove(c);
    }

    private void sweep(int loop) {
        long now = System.nanoTime();
        for (NettySession c : perLoop.get(loop)) {
            try {
                check(c, now);
            } catch (Throwable t) {
                // one connection's failure must not stop the sweep, now or later
                Guarded.failed("liveness check of " + c, t);
            }
        }
    }

    private void check(NettySession c, long now) {
        if (c.isClosing()) {
            return;
        }
        long pinged = c.pingSentNanos();
        if (pinged != 0) {
            if (now - pinged > pongNanos) {
                c.close(ErrorCodes.PONG_NOT_RECEIVED, "Pong reply not received");
            }
        } else if (now - c.lastActivityNanos() > activityNanos) {
            c.markPingSent(now);
            c.channel().writeAndFlush(Frames.ping(c.channel().alloc()), c.channel().voidPromise());
        }
    }
}
