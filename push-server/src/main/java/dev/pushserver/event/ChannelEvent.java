package dev.pushserver.event;

import dev.pushserver.app.App;

/**
 * One transition of an app's channels or users, decided once by whoever owns the state (the membership store, or the
 * channel rules for client events, cache misses and API events) and numbered with a per-app {@link #seq()} under the
 * same lock. Listeners see an app's events in {@code seq} order, so occupied comes before vacated for a channel, and
 * a member's member_added before its member_removed.
 */
public sealed interface ChannelEvent {

    EventType type();

    App app();

    /** The channel, or null for user events. */
    String channel();

    /** The user the event is about (presence member, client event sender on presence, online user), or null. */
    String userId();

    /** The connection that caused it (for a server event: the one excluded from delivery), or null. */
    String socketId();

    /** Unix milliseconds when it was decided. */
    long timeMillis();

    /** Per-app sequence number, increasing by one per event emitted for the app. */
    long seq();

    /** A channel went from no subscription to one. */
    record ChannelOccupied(App app, String channel, String socketId, long timeMillis, long seq)
            implements ChannelEvent {
        public EventType type() {
            return EventType.CHANNEL_OCCUPIED;
        }

        public String userId() {
            return null;
        }
    }

    /** The last subscription of a channel went away. */
    record ChannelVacated(App app, String channel, String socketId, long timeMillis, long seq)
            implements ChannelEvent {
        public EventType type() {
            return EventType.CHANNEL_VACATED;
        }

        public String userId() {
            return null;
        }
    }

    /**
     * A user's first connection joined a presence channel. {@code version} is the channel's membership version of
     * the join: subscriptions that joined before it need the member event, later ones have the member in their roster.
     */
    record MemberAdded(App app, String channel, String userId, String userInfoJson, String socketId, long version,
            long timeMillis, long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.MEMBER_ADDED;
        }
    }

    /** A user's last connection left a presence channel, at membership version {@code version}. */
    record MemberRemoved(App app, String channel, String userId, String socketId, long version, long timeMillis,
            long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.MEMBER_REMOVED;
        }
    }

    /** The number of subscriptions of a public or private channel changed to {@code count}. */
    record SubscriptionCountChanged(App app, String channel, int count, String socketId, long timeMillis, long seq)
            implements ChannelEvent {
        public EventType type() {
            return EventType.SUBSCRIPTION_COUNT;
        }

        public String userId() {
            return null;
        }
    }

    /**
     * A client event relayed on a private or presence channel; {@code data} is what the client sent as a string: a
     * string as is, anything else as its JSON text.
     */
    record ClientEventSent(App app, String channel, String event, String data, String userId, String socketId,
            long timeMillis, long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.CLIENT_EVENT;
        }
    }

    /** A subscriber of a cache channel found nothing cached. */
    record CacheMiss(App app, String channel, String socketId, long timeMillis, long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.CACHE_MISS;
        }

        public String userId() {
            return null;
        }
    }

    /** An event published through the HTTP API; {@code socketId} is the connection excluded from it, or null. */
    record ServerEvent(App app, String channel, String event, String data, String socketId, long timeMillis,
            long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.SERVER_EVENT;
        }

        public String userId() {
            return null;
        }
    }

    /** A user's first connection signed in: the user is online. */
    record UserOnline(App app, String userId, String socketId, long timeMillis, long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.USER_ONLINE;
        }

        public String channel() {
            return null;
        }
    }

    /** A user's last signed-in connection went away: the user is offline. */
    record UserOffline(App app, String userId, String socketId, long timeMillis, long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.USER_OFFLINE;
        }

        public String channel() {
            return null;
        }
    }

    /** A connection subscribed to {@code channel}; {@code userId} is its presence identity or null. */
    record Subscribed(App app, String channel, String userId, String socketId, long timeMillis, long seq)
            implements ChannelEvent {
        public EventType type() {
            return EventType.SUBSCRIBED;
        }
    }

    /** A connection's subscription to {@code channel} went away. */
    record Unsubscribed(App app, String channel, String userId, String socketId, long timeMillis, long seq)
            implements ChannelEvent {
        public EventType type() {
            return EventType.UNSUBSCRIBED;
        }
    }

    /** A Pusher connection was admitted. */
    record Connected(App app, String socketId, long timeMillis, long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.CONNECTED;
        }

        public String channel() {
            return null;
        }

        public String userId() {
            return null;
        }
    }

    /** A Pusher connection went away. */
    record Disconnected(App app, String socketId, long timeMillis, long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.DISCONNECTED;
        }

        public String channel() {
            return null;
        }

        public String userId() {
            return null;
        }
    }

    /**
     * A batch of {@code events} hook events (their names in {@code names}) was posted to {@code url}: {@code status}
     * is the HTTP status, 0 when no answer came ({@code error} then says why).
     */
    record WebhookSent(App app, String url, int status, String error, int events, String names, long timeMillis,
            long seq) implements ChannelEvent {
        public EventType type() {
            return EventType.WEBHOOK_SENT;
        }

        public String channel() {
            return null;
        }

        public String userId() {
            return null;
        }

        public String socketId() {
            return null;
        }
    }
}
