package dev.pushserver.core;

import dev.pushserver.app.App;
import dev.pushserver.cluster.NodeMessage;
import dev.pushserver.cluster.Publisher;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEvent.UserOnline;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventType;

/** Tells the other nodes when a user came online or went offline here, for their watchers (reference §2.9). */
final class NodeNotices implements ChannelEventListener {

    private final Publisher publisher;

    NodeNotices(Publisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public boolean wants(App app, EventType type) {
        return (type == EventType.USER_ONLINE || type == EventType.USER_OFFLINE)
                && app.config().enableWatchlistEvents();
    }

    @Override
    public void onEvent(ChannelEvent event) {
        publisher.broadcast(new NodeMessage(event.app(), event instanceof UserOnline
                ? NodeMessage.Kind.USER_ONLINE : NodeMessage.Kind.USER_OFFLINE, event.userId()));
    }

    @Override
    public String toString() {
        return "node notices";
    }
}
