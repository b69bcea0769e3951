package dev.pushserver.hook;

/**
 * One hook event as its receivers get it.
 *
 * @param id         stable and unique: the same for every retry and every receiver, to de-duplicate on
 * @param name       the Pusher webhook event name ({@code channel_occupied}, {@code member_added}, ...)
 * @param channel    the channel it is about
 * @param timeMillis when the transition happened (Unix milliseconds)
 * @param json       the event object exactly as it goes into a webhook body's {@code events} list (compact JSON,
 *                   Pusher's fields plus {@code id})
 */
public record HookEvent(String id, String name, String channel, long timeMillis, String json) {
}
