package dev.pushserver.console;

import dev.pushserver.app.App;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventStream;
import dev.pushserver.event.EventType;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console's one listener on the event stream. It wants an app's events only while at least one console watches
 * the app (the stream is asked again whenever that changes), so an unwatched console costs nothing: the events are
 * not even built. {@link #onEvent} runs on the deciding thread under its lock and only hands the event to each
 * watching console's bounded queue ({@link Console.Viewer#offer}).
 */
final class ConsoleFeed implements ChannelEventListener {

    private final EventStream events;
    private final Map<App, Set<Console.Viewer>> viewers = new ConcurrentHashMap<>();

    ConsoleFeed(EventStream events) {
        this.events = events;
    }

    void watch(App app, Console.Viewer viewer) {
        boolean first;
        synchronized (this) {
            Set<Console.Viewer> set = viewers.computeIfAbsent(app, a -> ConcurrentHashMap.newKeySet());
            first = set.isEmpty();
            set.add(viewer);
        }
        if (first) {
            events.refresh();
        }
    }

    void unwatch(App app, Console.Viewer viewer) {
        boolean last = false;
        synchronized (this) {
            Set<Console.Viewer> set = viewers.get(app);
            if (set != null && set.remove(viewer) && set.isEmpty()) {
                viewers.remove(app);
                last = true;
            }
        }
        if (last) {
            events.refresh();
        }
    }

    int watching(App app) {
        Set<Console.Viewer> set = viewers.get(app);
        return set == null ? 0 : set.size();
    }

    @Override
    public boolean wants(App app, EventType type) {
        // subscription_count is a rate-limited summary of the subscribe / unsubscribe lines the console shows
        return type != EventType.SUBSCRIPTION_COUNT && watching(app) > 0;
    }

    @Override
    public void onEvent(ChannelEvent event) {
        Set<Console.Viewer> set = viewers.get(event.app());
        if (set != null) {
            for (Console.Viewer v : set) {
                v.offer(event);
            }
        }
    }

    @Override
    public String toString() {
        return "console";
    }
}
