package dev.pushserver.store;

/**
 * A subscription to add.
 *
 * @param userId       the presence identity, or null for other channel types
 * @param userInfoJson the presence member's user_info JSON, or null
 * @param maxMembers   distinct presence users the channel may hold
 * @param readCache    also return the channel's cached event (cache channels)
 */
public record Join(String channel, String socketId, String userId, String userInfoJson, int maxMembers,
        boolean readCache) {
}
