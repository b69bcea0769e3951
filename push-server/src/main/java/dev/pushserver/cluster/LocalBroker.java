package dev.pushserver.cluster;

import dev.pushserver.app.App;
import dev.pushserver.fanout.Publication;
import java.util.function.Consumer;

/** The broker of a single node: there are no other nodes, so nothing goes out and nothing comes in. */
public final class LocalBroker implements Broker {

    @Override
    public void start(Consumer<Publication> local, Consumer<NodeMessage> notices) {
    }

    @Override
    public void broadcast(NodeMessage message) {
    }

    @Override
    public void publish(Publication publication) {
    }

    @Override
    public void firstSubscriber(App app, String channel) {
    }

    @Override
    public void lastSubscriber(App app, String channel) {
    }

    @Override
    public void close() {
    }
}
