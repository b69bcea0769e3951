package dev.pushserver.config;

/**
 * One tenant: credentials, feature switches and limits. Immutable.
 *
 * @param maxConnections            0 means unlimited
 * @param maxPresenceMemberSize     bytes of the member's user_info JSON
 * @param maxEventPayload           bytes of an event's data (HTTP API and client events)
 */
public record AppConfig(
        String id,
        String key,
        String secret,
        boolean enabled,
        boolean enableClientMessages,
        int maxConnections,
        int maxClientEventsPerSecond,
        int maxPresenceMembers,
        int maxPresenceMemberSize,
        int maxEventPayload,
        int maxChannelsPerTrigger,
        int maxEventsPerBatch,
        int maxChannelNameLength,
        int maxEventNameLength) {
}
