package dev.pushserver.config;

import java.util.List;

/**
 * One tenant: credentials, feature switches and limits. Immutable.
 *
 * @param maxConnections            0 means unlimited
 * @param maxPresenceMemberSize     bytes of the member's user_info JSON
 * @param maxEventPayload           bytes of an event's data (HTTP API and client events)
 * @param requireAuthorization      connections must sign in (or subscribe to a private or presence channel) within
 *                                  {@code authorizationTimeout} seconds, else they are closed with 4009
 * @param cacheTtl                  seconds a cache channel keeps its last event
 * @param maxChannelsPerConnection  channels one connection may be subscribed to at once
 * @param maxMessagesPerSecond      WebSocket frames a connection may send per second
 * @param maxSubscriptionsPerSecond subscribe / unsubscribe requests per connection per second, after a burst of up
 *                                  to {@code maxChannelsPerConnection} (at least one second's worth)
 * @param maxChannelsPerQuery       channels a {@code GET /channels} answer may list
 * @param maxBackendEventsPerSecond events the HTTP API may trigger per second (a trigger to n channels counts n,
 *                                  a batch counts each event), cluster-wide; 0 = unlimited
 * @param maxReadRequestsPerSecond  HTTP API read requests (channels, channel, users) per second, cluster-wide;
 *                                  0 = unlimited
 * @param webhooks                  where the app's hook events are posted
 * @param allowedOrigins            WebSocket {@code Origin}s allowed to connect ({@code *} wildcards); empty: any
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
        int maxEventNameLength,
        boolean enableUserAuthentication,
        boolean requireAuthorization,
        int authorizationTimeout,
        boolean enableWatchlistEvents,
        int maxWatchlistSize,
        boolean enableSubscriptionCount,
        boolean enableCacheChannels,
        int cacheTtl,
        int maxChannelsPerConnection,
        int maxMessagesPerSecond,
        int maxSubscriptionsPerSecond,
        int maxChannelsPerQuery,
        int maxBackendEventsPerSecond,
        int maxReadRequestsPerSecond,
        List<WebhookConfig> webhooks,
        List<String> allowedOrigins) {

    public AppConfig {
        webhooks = List.copyOf(webhooks);
        allowedOrigins = List.copyOf(allowedOrigins);
    }
}
