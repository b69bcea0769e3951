package dev.pushserver.hook;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.pushserver.app.App;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEvent.CacheMiss;
import dev.pushserver.event.ChannelEvent.ChannelOccupied;
import dev.pushserver.event.ChannelEvent.ChannelVacated;
import dev.pushserver.event.ChannelEvent.ClientEventSent;
import dev.pushserver.event.ChannelEvent.MemberAdded;
import dev.pushserver.event.ChannelEvent.MemberRemoved;
import dev.pushserver.event.ChannelEvent.ServerEvent;
import dev.pushserver.event.ChannelEvent.SubscriptionCountChanged;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventType;
import dev.pushserver.protocol.Json;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns channel events into hook events in Pusher's webhook format (reference §5.2) and hands them to the hook
 * service, which makes them durable. Called inline by the event stream: it only builds a small JSON object and
 * enqueues it.
 */
final class HookListener implements ChannelEventListener {

    private final HookService service;
    /** event ids: a random prefix per process and a counter, unique across restarts and nodes */
    private final String idPrefix;
    private final AtomicLong ids = new AtomicLong();

    HookListener(HookService service) {
        this.service = service;
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        StringBuilder hex = new StringBuilder();
        for (byte b : random) {
            hex.append(String.format("%02x", b));
        }
        this.idPrefix = hex.toString();
    }

    /** The webhook name of an event type; null for types that are not hook events. */
    static String name(EventType type) {
        return switch (type) {
            case CHANNEL_OCCUPIED -> "channel_occupied";
            case CHANNEL_VACATED -> "channel_vacated";
            case MEMBER_ADDED -> "member_added";
            case MEMBER_REMOVED -> "member_removed";
            case CLIENT_EVENT -> "client_event";
            case CACHE_MISS -> "cache_miss";
            case SUBSCRIPTION_COUNT -> "subscription_count";
            case SERVER_EVENT -> "server_event";
            case USER_ONLINE, USER_OFFLINE, SUBSCRIBED, UNSUBSCRIBED, CONNECTED, DISCONNECTED, WEBHOOK_SENT -> null;
        };
    }

    @Override
    public boolean wants(App app, EventType type) {
        String name = name(type);
        // as Pusher: subscription_count webhooks only for apps with subscription counting on
        return name != null && service.wants(app, name)
                && (type != EventType.SUBSCRIPTION_COUNT || app.config().enableSubscriptionCount());
    }

    @Override
    public void onEvent(ChannelEvent event) {
        String name = name(event.type());
        String id = idPrefix + "-" + ids.incrementAndGet();
        String json = Json.string(g -> {
            g.writeStartObject();
            g.writeStringField("name", name);
            g.writeStringField("channel", event.channel());
            fields(g, event);
            g.writeStringField("id", id);
            g.writeEndObject();
        });
        service.offer(event.app(), new HookEvent(id, name, event.channel(), event.timeMillis(), json),
                event.userId());
    }

    /** Pusher's fields of each event type beyond name and channel. */
    private static void fields(JsonGenerator g, ChannelEvent event) throws IOException {
        if (event instanceof MemberAdded m) {
            g.writeStringField("user_id", m.userId());
        } else if (event instanceof MemberRemoved m) {
            g.writeStringField("user_id", m.userId());
        } else if (event instanceof ClientEventSent c) {
            g.writeStringField("event", c.event());
            g.writeStringField("data", c.data());
            g.writeStringField("socket_id", c.socketId());
            if (c.userId() != null) {
                g.writeStringField("user_id", c.userId());
            }
        } else if (event instanceof SubscriptionCountChanged c) {
            g.writeNumberField("subscription_count", c.count());
        } else if (event instanceof ServerEvent s) {
            g.writeStringField("event", s.event());
            g.writeStringField("data", s.data());
            if (s.socketId() != null) {
                g.writeStringField("socket_id", s.socketId());
            }
        } else if (!(event instanceof ChannelOccupied || event instanceof ChannelVacated
                || event instanceof CacheMiss)) {
            throw new IllegalArgumentException("not a hook event: " + event.type());
        }
    }

    @Override
    public String toString() {
        return "hooks";
    }
}
