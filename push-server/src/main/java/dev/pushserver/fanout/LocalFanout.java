package dev.pushserver.fanout;

import dev.pushserver.app.App;
import dev.pushserver.app.PerApp;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.session.Frame;
import dev.pushserver.session.Session;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.ObjIntConsumer;

/**
 * Delivers messages to this node's subscribers: the message is encoded once into a frame, each event loop that has
 * subscribers of the channel gets one task that writes that same frame to each of them, and the transport flushes
 * each connection once per loop turn. Tasks are always queued, the publisher's own loop included, so each loop
 * delivers messages in the order they were published.
 */
public final class LocalFanout {

    private final Executor[] loops;
    private final Frame.Encoder encoder;
    private final ChannelInterest interest;
    private final PushMetrics metrics;
    private final PerApp<ConcurrentHashMap<String, LocalChannel>> channels =
            new PerApp<>(a -> new ConcurrentHashMap<>());

    /**
     * @param loops    the event loops, in the order of {@link Session#loop()}
     * @param interest told when a channel gains its first local subscriber and loses its last
     */
    public LocalFanout(List<? extends Executor> loops, Frame.Encoder encoder, ChannelInterest interest,
            PushMetrics metrics) {
        this.loops = loops.toArray(new Executor[0]);
        this.encoder = encoder;
        this.interest = interest;
        this.metrics = metrics;
    }

    /**
     * Reports each channel of {@code app} with local subscribers (pending ones included) and how many: for the
     * metrics, at scrape time. The counts are read without the channel's lock, as of about now.
     */
    public void census(App app, ObjIntConsumer<String> channel) {
        for (LocalChannel ch : channels.get(app).values()) {
            int n = ch.count;
            if (n > 0) {
                channel.accept(ch.name, n);
            }
        }
    }

    /**
     * Registers {@code session} for the channel's messages, pending until {@link #activate}: call before asking the
     * store, so that no message published after the store's decision can miss it. On the session's loop.
     */
    public Subscription add(Session session, String channel, String userId) {
        App app = session.app();
        ConcurrentHashMap<String, LocalChannel> map = channels.get(app);
        while (true) {
            LocalChannel ch = map.computeIfAbsent(channel, n -> new LocalChannel(app, n, loops.length, metrics.app(app)));
            synchronized (ch) {
                if (ch.removed) {
                    continue; // lost a race with the last removal; take a fresh one
                }
                if (ch.count++ == 0) {
                    interest.firstSubscriber(app, channel);
                }
            }
            Subscription s = new Subscription(ch, session, userId);
            ch.on(session.loop()).add(s);
            return s;
        }
    }

    /**
     * The store decided the join at {@code version}: from now on the subscription receives messages of later
     * versions, starting with those held while it was pending. Call after the reply that confirms the subscription
     * has been sent, on the session's loop.
     */
    public void activate(Subscription s, long version) {
        s.joinVersion = version;
        s.releaseHeld(true);
    }

    /** Unregisters; held messages are dropped. On the session's loop. */
    public void remove(Subscription s) {
        LocalChannel ch = s.channel;
        ch.on(s.session.loop()).remove(s);
        s.releaseHeld(false);
        synchronized (ch) {
            if (--ch.count == 0) {
                ch.removed = true;
                channels.get(ch.app).remove(ch.name, ch);
                interest.lastSubscriber(ch.app, ch.name);
            }
        }
    }

    /** Delivers to this node's subscribers; any thread. */
    public void deliver(Publication p) {
        LocalChannel ch = channels.get(p.app()).get(p.channel());
        if (ch == null) {
            return;
        }
        Frame frame = encoder.encode(p.message());
        try {
            for (int i = 0; i < loops.length; i++) {
                if (!ch.hasSubscribersOn(i)) {
                    continue;
                }
                int loop = i;
                frame.retain();
                loops[i].execute(() -> deliverOn(loop, ch, frame, p));
            }
        } finally {
            frame.release();
        }
    }

    private static void deliverOn(int loop, LocalChannel ch, Frame frame, Publication p) {
        try {
            LoopSubscribers subs = ch.on(loop);
            String exclude = p.excludeSocketId();
            long version = p.version();
            int delivered = 0;
            for (int k = 0; k < subs.size(); k++) {
                Subscription s = subs.get(k);
                if (exclude != null && exclude.equals(s.session.socketId())) {
                    continue;
                }
                if (s.joinVersion == Subscription.PENDING) {
                    s.hold(frame, version);
                } else if (s.joinVersion < version && s.session.deliver(frame)) {
                    delivered++;
                }
            }
            ch.meters.delivered(delivered, p.message().length); // once per loop and publication
        } finally {
            frame.release();
        }
    }
}
