package dev.pushserver.cluster;

import dev.pushserver.app.App;

/**
 * Everything that must reach subscribers, wherever they are connected, goes through the broker. A single node uses
 * {@link LocalBroker}; a cluster broker forwards to the other nodes as well.
 */
public interface Broker {

    /** Delivers an encoded message to every subscriber of {@code channel} except {@code excludeSocketId}. */
    void publish(App app, String channel, byte[] message, String excludeSocketId);
}
