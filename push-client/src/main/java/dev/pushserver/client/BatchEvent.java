package dev.pushserver.client;

import java.util.List;

/**
 * One event of {@link PushApi#triggerBatch}.
 *
 * @param channel  the channel
 * @param name     the event name
 * @param data     the payload: a String is sent verbatim, anything else is serialised to JSON
 * @param socketId the connection to exclude, or null
 * @param info     attributes to return for the channel ({@code user_count}, {@code subscription_count}), or empty
 */
public record BatchEvent(String channel, String name, Object data, String socketId, List<String> info) {

    public BatchEvent {
        info = info == null ? List.of() : List.copyOf(info);
    }

    public BatchEvent(String channel, String name, Object data) {
        this(channel, name, data, null, List.of());
    }
}
