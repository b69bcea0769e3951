package dev.pushserver.cluster;

import dev.pushserver.app.App;

/**
 * Everything that must reach subscribers, wherever they are connected, goes through the broker. A single node uses
 * {@link LocalBroker}; a cluster broker forwards to the other nodes as well.
 */
public interface Broker {

    /** Marks a message published against the channel's membership at the time of the call. */
    long CURRENT = -1;

    /** Delivers an encoded message to every subscriber of {@code channel} except {@code excludeSocketId}. */
    default void publish(App app, String channel, byte[] message, String excludeSocketId) {
        publish(app, channel, message, excludeSocketId, CURRENT);
    }

    /**
     * As above, to the subscriptions that existed at membership version {@code epoch} (see ChannelState#epoch),
     * or {@link #CURRENT}. Presence member events use the version of the join or leave they announce, so that
     * a roster from subscription_succeeded and the member events that follow it never overlap.
     */
    void publish(App app, String channel, byte[] message, String excludeSocketId, long epoch);
}
