package dev.pushserver.fanout;

import dev.pushserver.app.App;

/**
 * A message for every subscriber of one channel, wherever it is connected.
 *
 * @param message         the encoded message (JSON)
 * @param excludeSocketId the connection that must not receive it (the sender), or null
 * @param version         deliver only to subscriptions that joined at a lower membership version ({@link #ALL}: to
 *                        every subscription); member events carry the version of the join or leave they announce
 */
public record Publication(App app, String channel, byte[] message, String excludeSocketId, long version) {

    /** Every subscription, whenever it joined. */
    public static final long ALL = Long.MAX_VALUE;

    public static Publication toAll(App app, String channel, byte[] message, String excludeSocketId) {
        return new Publication(app, channel, message, excludeSocketId, ALL);
    }
}
