package dev.pushserver.event;

/** The kinds of {@link ChannelEvent}; listeners say per app which ones they want. */
public enum EventType {
    CHANNEL_OCCUPIED,
    CHANNEL_VACATED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    SUBSCRIPTION_COUNT,
    CLIENT_EVENT,
    CACHE_MISS,
    SERVER_EVENT,
    USER_ONLINE,
    USER_OFFLINE,
    /** A connection's subscription succeeded (every subscription, not only a channel's first). */
    SUBSCRIBED,
    /** A subscription went away (unsubscribe or disconnect). */
    UNSUBSCRIBED,
    /** A Pusher connection was admitted. */
    CONNECTED,
    /** A Pusher connection went away. */
    DISCONNECTED,
    /** A batch of hook events was posted to a webhook (emitted by the process that delivers). */
    WEBHOOK_SENT;

    final int bit() {
        return 1 << ordinal();
    }
}
