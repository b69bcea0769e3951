package dev.pushserver.cluster;

import dev.pushserver.app.App;
import dev.pushserver.fanout.LocalFanout;
import dev.pushserver.fanout.Publication;

/**
 * Everything that must reach subscribers, wherever they are connected, is published here: to this node's
 * subscribers through the local fan-out and to the other nodes through the broker.
 */
public final class Publisher {

    private final LocalFanout local;
    private final Broker broker;

    public Publisher(LocalFanout local, Broker broker) {
        this.local = local;
        this.broker = broker;
        broker.start(local::deliver);
    }

    public void publish(Publication p) {
        local.deliver(p);
        broker.publish(p);
    }

    /** To every subscriber of {@code channel} but {@code excludeSocketId} (may be null). */
    public void publish(App app, String channel, byte[] message, String excludeSocketId) {
        publish(Publication.toAll(app, channel, message, excludeSocketId));
    }
}
