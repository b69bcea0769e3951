package dev.pushserver.config;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One webhook of an app: where Pusher-format batches are posted, which event types it wants and for which channels,
 * and extra request headers. Immutable.
 *
 * @param eventTypes     the wanted types (every type when the config left them out)
 * @param channelPrefix  only channels starting with it (null: any)
 * @param channelSuffix  only channels ending with it (null: any)
 * @param channelPattern only channels this regex finds a match in (null: any)
 */
public record WebhookConfig(URI url, Set<String> eventTypes, String channelPrefix, String channelSuffix,
        Pattern channelPattern, Map<String, String> headers) {

    /** Pusher's webhook event types, plus {@code server_event} (an event published through the HTTP API). */
    public static final List<String> EVENT_TYPES = List.of("channel_occupied", "channel_vacated", "member_added",
            "member_removed", "client_event", "cache_miss", "subscription_count", "server_event");

    public WebhookConfig {
        eventTypes = Set.copyOf(eventTypes);
        headers = Map.copyOf(headers);
    }

    /** Whether this webhook wants an event of {@code type} on {@code channel}. */
    public boolean wants(String type, String channel) {
        if (!eventTypes.contains(type)) {
            return false;
        }
        if (channel == null) {
            return channelPrefix == null && channelSuffix == null && channelPattern == null;
        }
        return (channelPrefix == null || channel.startsWith(channelPrefix))
                && (channelSuffix == null || channel.endsWith(channelSuffix))
                && (channelPattern == null || channelPattern.matcher(channel).find());
    }
}
