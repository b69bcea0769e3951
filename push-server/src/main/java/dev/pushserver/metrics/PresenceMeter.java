package dev.pushserver.metrics;

import dev.pushserver.app.App;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventType;

/** Counts presence members from member added / removed, the only events it asks the stream for. */
final class PresenceMeter implements ChannelEventListener {

    private final PushMetrics metrics;

    PresenceMeter(PushMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public boolean wants(App app, EventType type) {
        return type == EventType.MEMBER_ADDED || type == EventType.MEMBER_REMOVED;
    }

    @Override
    public void onEvent(ChannelEvent event) {
        if (event instanceof ChannelEvent.MemberAdded m) {
            metrics.app(m.app()).presenceMember(1);
        } else if (event instanceof ChannelEvent.MemberRemoved m) {
            metrics.app(m.app()).presenceMember(-1);
        }
    }

    @Override
    public String toString() {
        return "presence metrics";
    }
}
