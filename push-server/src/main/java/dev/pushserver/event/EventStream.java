package dev.pushserver.event;

import dev.pushserver.app.App;
import dev.pushserver.app.PerApp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channel-event stream: every transition, numbered per app and handed to the listeners that want it. An event
 * nobody wants is not even built ({@link #wants}), so a feature that is switched off costs nothing on the hot path.
 */
public final class EventStream {

    private static final Logger log = LoggerFactory.getLogger(EventStream.class);

    /** Builds the event once its sequence number and time are known. */
    @FunctionalInterface
    public interface Factory {
        ChannelEvent make(long seq, long timeMillis);
    }

    private final List<ChannelEventListener> listeners = new CopyOnWriteArrayList<>();
    private final PerApp<AppLog> logs = new PerApp<>(this::newLog);

    /** Adds a listener that is called inline (see {@link ChannelEventListener}). Register before traffic starts. */
    public synchronized void listen(ChannelEventListener listener) {
        listeners.add(listener);
        logs.all().forEach(this::route);
    }

    /**
     * Adds a listener that runs on {@code executor}, in order, apart from the deciding thread: a slow listener then
     * delays only itself, never delivery or other listeners.
     */
    public void listenAsync(ChannelEventListener listener, Executor executor) {
        listen(new AsyncListener(listener, executor));
    }

    /**
     * Asks every listener again which events it wants, for a listener whose interest changes while the server runs
     * (the debug console wants an app's events only while someone watches it).
     */
    public synchronized void refresh() {
        logs.all().forEach(this::route);
    }

    /** Whether any listener wants {@code type} for {@code app}. */
    public boolean wants(App app, EventType type) {
        return logs.get(app).byType[type.ordinal()].length > 0;
    }

    /**
     * Numbers and hands an event to its listeners, in order. Call it under the lock that decided the transition, so
     * that the numbering follows the decisions.
     */
    public void emit(App app, EventType type, Factory factory) {
        AppLog l = logs.get(app);
        ChannelEventListener[] to = l.byType[type.ordinal()];
        if (to.length == 0) {
            return;
        }
        synchronized (l) {
            ChannelEvent event = factory.make(++l.seq, System.currentTimeMillis());
            for (ChannelEventListener listener : to) {
                try {
                    listener.onEvent(event);
                } catch (RuntimeException e) {
                    // a faulty listener must not break the transition or the other listeners
                    log.error("channel event listener {} failed on {}: {}", listener, event.type(), e.toString(), e);
                }
            }
        }
    }

    private synchronized AppLog newLog(App app) {
        AppLog l = new AppLog(app);
        route(l);
        return l;
    }

    private void route(AppLog l) {
        ChannelEventListener[][] byType = new ChannelEventListener[EventType.values().length][];
        for (EventType t : EventType.values()) {
            List<ChannelEventListener> wanting = new ArrayList<>();
            for (ChannelEventListener listener : listeners) {
                if (listener.wants(l.app, t)) {
                    wanting.add(listener);
                }
            }
            byType[t.ordinal()] = wanting.toArray(new ChannelEventListener[0]);
        }
        l.byType = byType;
    }

    /** One app's sequence and the listeners of each event type. */
    private static final class AppLog {
        final App app;
        volatile ChannelEventListener[][] byType;
        long seq; // guarded by this

        AppLog(App app) {
            this.app = app;
        }
    }
}
