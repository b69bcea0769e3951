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
    USER_OFFLINE;

    final int bit() {
        return 1 << ordinal();
    }
}
