package dev.pushserver.channel;

import dev.pushserver.app.App;
import dev.pushserver.cluster.Publisher;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEvent.MemberAdded;
import dev.pushserver.event.ChannelEvent.MemberRemoved;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventType;
import dev.pushserver.fanout.Publication;
import dev.pushserver.protocol.Messages;

/**
 * Announces presence transitions to the channel's subscribers ({@code pusher_internal:member_added} /
 * {@code member_removed}, reference §2.5). Each goes to the subscriptions that joined before the transition's version,
 * never to the connection that caused it: a later subscriber has the change in its roster already, so a roster and
 * the member events after it never overlap.
 */
public final class MemberEvents implements ChannelEventListener {

    private final Publisher publisher;

    public MemberEvents(Publisher publisher) {
        this.publisher = publisher;
    }

    @Override
    public boolean wants(App app, EventType type) {
        return type == EventType.MEMBER_ADDED || type == EventType.MEMBER_REMOVED;
    }

    @Override
    public void onEvent(ChannelEvent event) {
        if (event instanceof MemberAdded m) {
            publisher.publish(new Publication(m.app(), m.channel(),
                    Messages.memberAdded(m.channel(), m.userId(), m.userInfoJson()), m.socketId(), m.version()));
        } else if (event instanceof MemberRemoved m) {
            publisher.publish(new Publication(m.app(), m.channel(), Messages.memberRemoved(m.channel(), m.userId()),
                    m.socketId(), m.version()));
        }
    }

    @Override
    public String toString() {
        return "member events";
    }
}
