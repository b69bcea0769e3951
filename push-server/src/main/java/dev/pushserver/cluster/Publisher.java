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
    }

    /** Starts receiving what other nodes publish; their notices go to {@code notices}. */
    public void start(java.util.function.Consumer<NodeMessage> notices) {
        broker.start(local::deliver, notices);
    }

    /** Tells every other node (this node acts on its own notices itself). */
    public void broadcast(NodeMessage message) {
        broker.broadcast(message);
    }

    /** See {@link Broker#listening}. */
    public java.util.concurrent.CompletionStage<Void> listening(App app, String channel) {
        return broker.listening(app, channel);
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
