package dev.pushserver.protocol;

/** Channel kinds, decided by name prefix in the order pusher-js uses. */
public enum ChannelType {
    PUBLIC, PRIVATE, ENCRYPTED, PRESENCE, SERVER_TO_USER;

    public static final String SERVER_TO_USER_PREFIX = "#server-to-user-";

    public static ChannelType of(String name) {
        if (name.startsWith("private-encrypted-")) {
            return ENCRYPTED;
        }
        if (name.startsWith("private-")) {
            return PRIVATE;
        }
        if (name.startsWith("presence-")) {
            return PRESENCE;
        }
        if (name.startsWith("#")) {
            return SERVER_TO_USER;
        }
        return PUBLIC;
    }

    /** Cache channels keep their last event for new subscribers (reference §2.10). */
    public static boolean isCache(String name) {
        return name.startsWith("cache-") || name.startsWith("private-cache-")
                || name.startsWith("private-encrypted-cache-") || name.startsWith("presence-cache-");
    }

    /** Channels that may receive {@code pusher_internal:subscription_count} (not presence, not encrypted). */
    public boolean hasSubscriptionCount() {
        return this == PUBLIC || this == PRIVATE;
    }

    /** Needs a signed {@code auth} token to subscribe. */
    public boolean requiresAuth() {
        return this == PRIVATE || this == ENCRYPTED || this == PRESENCE;
    }

    /** Accepts client events (client-*) from subscribers. */
    public boolean allowsClientEvents() {
        return this == PRIVATE || this == PRESENCE;
    }
}
