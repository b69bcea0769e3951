package dev.pushserver.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Attributes of one channel as the HTTP API returns them; a field is null when the server did not send it (it was not
 * requested, or does not apply to the channel type).
 *
 * @param occupied          whether the channel has subscribers (only in single-channel queries)
 * @param userCount         distinct users of a presence channel
 * @param subscriptionCount connections subscribed
 * @param cache             the cached event of a cache channel; null if none was requested or nothing is cached
 */
public record ChannelInfo(Boolean occupied, Integer userCount, Integer subscriptionCount, CachedEvent cache) {

    /** The last event of a cache channel and its remaining time to live in seconds. */
    public record CachedEvent(String data, Integer ttl) {
    }

    static ChannelInfo of(JsonNode n) {
        if (n == null || !n.isObject()) {
            return new ChannelInfo(null, null, null, null);
        }
        JsonNode c = n.get("cache");
        CachedEvent cache = c == null || !c.isObject() ? null
                : new CachedEvent(c.hasNonNull("data") ? c.get("data").asText() : null,
                        c.hasNonNull("ttl") ? c.get("ttl").asInt() : null);
        return new ChannelInfo(n.hasNonNull("occupied") ? n.get("occupied").asBoolean() : null,
                n.hasNonNull("user_count") ? n.get("user_count").asInt() : null,
                n.hasNonNull("subscription_count") ? n.get("subscription_count").asInt() : null,
                cache);
    }
}
