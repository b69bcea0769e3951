package dev.pushserver.client;

import java.util.List;

/**
 * Options of a trigger.
 *
 * @param socketId the connection to exclude from delivery (usually the sender's), or null
 * @param info     channel attributes to return ({@code user_count}, {@code subscription_count}), or empty
 */
public record TriggerOptions(String socketId, List<String> info) {

    public static final TriggerOptions NONE = new TriggerOptions(null, List.of());

    public TriggerOptions {
        info = info == null ? List.of() : List.copyOf(info);
    }

    public static TriggerOptions excluding(String socketId) {
        return new TriggerOptions(socketId, List.of());
    }

    public static TriggerOptions withInfo(String... info) {
        return new TriggerOptions(null, List.of(info));
    }

    public TriggerOptions andInfo(String... info) {
        return new TriggerOptions(socketId, List.of(info));
    }
}
