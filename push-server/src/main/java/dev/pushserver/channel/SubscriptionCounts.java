package dev.pushserver.channel;

import dev.pushserver.app.App;
import dev.pushserver.app.PerApp;
import dev.pushserver.cluster.Publisher;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEvent.SubscriptionCountChanged;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventType;
import dev.pushserver.protocol.Messages;
import dev.pushserver.session.Guarded;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sends {@code pusher_internal:subscription_count} to every subscriber of a public or private channel when its count
 * changes, for apps that enable it (reference §2.11). Above 100 subscribers at most one every 5 s; the delayed one
 * carries the count at the time it is sent.
 */
public final class SubscriptionCounts implements ChannelEventListener {

    static final int THROTTLE_ABOVE = 100;
    static final long THROTTLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Publisher publisher;
    private final ScheduledExecutorService timer;
    private final PerApp<Map<String, Throttle>> throttles = new PerApp<>(a -> new ConcurrentHashMap<>());

    /** @param timer runs the delayed sends of throttled channels */
    public SubscriptionCounts(Publisher publisher, ScheduledExecutorService timer) {
        this.publisher = publisher;
        this.timer = timer;
    }

    @Override
    public boolean wants(App app, EventType type) {
        return type == EventType.SUBSCRIPTION_COUNT && app.config().enableSubscriptionCount();
    }

    @Override
    public void onEvent(ChannelEvent event) {
        if (!(event instanceof SubscriptionCountChanged c)) {
            return;
        }
        App app = c.app();
        String channel = c.channel();
        Map<String, Throttle> map = throttles.get(app);
        if (c.count() == 0) {
            map.remove(channel); // vacated: nobody to tell
            return;
        }
        Throttle t = map.computeIfAbsent(channel, k -> new Throttle());
        long delay = t.delay(c.count(), System.nanoTime());
        if (delay == 0) {
            send(app, channel, c.count());
        } else if (delay > 0) {
            timer.schedule(Guarded.task("delayed subscription_count", () -> {
                int latest = t.sent(System.nanoTime());
                if (map.get(channel) == t) {
                    send(app, channel, latest);
                }
            }), delay, TimeUnit.NANOSECONDS);
        }
    }

    private void send(App app, String channel, int count) {
        publisher.publish(app, channel, Messages.subscriptionCount(channel, count), null);
    }

    /** When the next count of one channel may go. */
    private static final class Throttle {
        private long sentNanos;
        private boolean pending;
        private int latest;

        /** 0 = send now (recorded as sent), a positive delay = schedule one send after it, -1 = one is scheduled. */
        synchronized long delay(int count, long now) {
            latest = count;
            if (pending) {
                return -1;
            }
            long wait = sentNanos + THROTTLE_NANOS - now;
            if (count <= THROTTLE_ABOVE || sentNanos == 0 || wait <= 0) {
                sentNanos = now;
                return 0;
            }
            pending = true;
            return wait;
        }

        /** The scheduled send is going out now; returns the count to send. */
        synchronized int sent(long now) {
            pending = false;
            sentNanos = now;
            return latest;
        }
    }

    @Override
    public String toString() {
        return "subscription counts";
    }
}
