package dev.pushserver.transport;

import dev.pushserver.session.Guarded;
import dev.pushserver.protocol.ErrorCodes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Detects dead clients with WebSocket ping frames (reference §1.7): after {@code activity_timeout} without any
 * inbound frame a connection gets a ping; without any inbound frame {@code pong_timeout} after that it is closed
 * with 4201. One sweep per event loop over that loop's connections, instead of a timer per connection. Each loop
 * keeps its connections in a plain list, every session knowing its own index in it (removal swaps the last one into
 * the hole): no hash-set node per connection.
 */
final class Liveness {

    private final Loops loops;
    private final long activityNanos;
    private final long pongNanos;
    private final List<ArrayList<NettySession>> perLoop = new ArrayList<>();
    private final List<ScheduledFuture<?>> sweeps = new ArrayList<>();

    Liveness(Loops loops, int activityTimeoutSeconds, int pongTimeoutSeconds) {
        this.loops = loops;
        this.activityNanos = TimeUnit.SECONDS.toNanos(activityTimeoutSeconds);
        this.pongNanos = TimeUnit.SECONDS.toNanos(pongTimeoutSeconds);
        for (int i = 0; i < loops.size(); i++) {
            perLoop.add(new ArrayList<>());
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
        ArrayList<NettySession> list = perLoop.get(c.loop());
        c.livenessSlot = list.size();
        list.add(c);
    }

    /** Call on the connection's loop; a session not (or no longer) in the list is ignored. */
    void remove(NettySession c) {
        ArrayList<NettySession> list = perLoop.get(c.loop());
        int i = c.livenessSlot;
        if (i < 0 || i >= list.size() || list.get(i) != c) {
            return;
        }
        NettySession last = list.remove(list.size() - 1);
        if (last != c) {
            list.set(i, last);
            last.livenessSlot = i;
        }
        c.livenessSlot = -1;
    }

    private void sweep(int loop) {
        long now = System.nanoTime();
        ArrayList<NettySession> list = perLoop.get(loop);
        // A check never removes a connection during the sweep (it leaves the list in channelInactive, which Netty
        // runs as a later task); going backwards keeps even such a removal from skipping one or checking one twice
        for (int i = list.size() - 1; i >= 0; i--) {
            if (i >= list.size()) {
                continue;
            }
            NettySession c = list.get(i);
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
