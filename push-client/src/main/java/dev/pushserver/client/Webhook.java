package dev.pushserver.client;

import java.util.List;

/**
 * A verified webhook delivery: when it was created (Unix milliseconds) and its events.
 */
public record Webhook(long timeMs, List<Event> events) {

    /**
     * One webhook event; fields the event type does not have are null.
     *
     * @param name              {@code channel_occupied}, {@code channel_vacated}, {@code member_added},
     *                          {@code member_removed}, {@code client_event}, {@code cache_miss},
     *                          {@code subscription_count}
     * @param channel           the channel
     * @param userId            member events, and client events on presence channels
     * @param event             client events: the event name
     * @param data              client events: the data as a string
     * @param socketId          client events: the sender
     * @param subscriptionCount subscription_count events
     */
    public record Event(String name, String channel, String userId, String event, String data, String socketId,
            Integer subscriptionCount) {
    }
}
