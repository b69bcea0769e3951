package dev.pushserver.user;

import dev.pushserver.app.App;
import dev.pushserver.connection.Connection;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEvent.UserOnline;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventType;
import dev.pushserver.protocol.Messages;
import java.util.List;
import java.util.Set;

/**
 * Tells the connections that watch a user when it comes online (first signed-in connection) or goes offline (last
 * one gone), reference §2.9. Each message is written on the watcher's own loop.
 */
public final class WatchlistEvents implements ChannelEventListener {

    private final Watchers watchers;

    public WatchlistEvents(Watchers watchers) {
        this.watchers = watchers;
    }

    @Override
    public boolean wants(App app, EventType type) {
        return (type == EventType.USER_ONLINE || type == EventType.USER_OFFLINE)
                && app.config().enableWatchlistEvents();
    }

    @Override
    public void onEvent(ChannelEvent event) {
        notify(event.app(), event.userId(), event instanceof UserOnline);
    }

    /** Tells this node's watchers of {@code userId} (also for a transition another node decided). */
    public void notify(App app, String userId, boolean online) {
        if (!app.config().enableWatchlistEvents()) {
            return;
        }
        Set<Connection> to = watchers.of(app, userId);
        if (to.isEmpty()) {
            return;
        }
        List<String> ids = List.of(userId);
        byte[] message = online ? Messages.watchlistEvents(ids, List.of()) : Messages.watchlistEvents(List.of(), ids);
        for (Connection w : to) {
            w.send(message);
        }
    }

    @Override
    public String toString() {
        return "watchlist events";
    }
}
