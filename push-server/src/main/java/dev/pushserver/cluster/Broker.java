package dev.pushserver.cluster;

import dev.pushserver.app.App;
import dev.pushserver.fanout.ChannelInterest;
import dev.pushserver.fanout.Publication;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The link to the other nodes of a cluster, both ways: messages published here go out through {@link #publish}, and
 * messages published elsewhere come in to the local fan-out given to {@link #start}. Interest in a channel
 * ({@link ChannelInterest}) tells the broker which channels this node has subscribers for, so it receives only
 * those. A single node uses {@link LocalBroker}, which has no one to talk to.
 */
public interface Broker extends ChannelInterest, AutoCloseable {

    CompletableFuture<Void> LISTENING = CompletableFuture.completedFuture(null);

    /**
     * Starts receiving: publications of other nodes go to {@code local}, notices of other nodes to {@code notices}.
     */
    void start(Consumer<Publication> local, Consumer<NodeMessage> notices);

    /** Sends a publication of this node (already delivered locally) to the other nodes. */
    void publish(Publication publication);

    /** Sends a notice to every other node. */
    void broadcast(NodeMessage message);

    /**
     * Completes once messages of {@code channel} published anywhere reach this node (after
     * {@link #firstSubscriber}); a subscribe waits for it before the store decides, so that no member event of a
     * later transition can miss it. May complete exceptionally when the other nodes cannot be reached.
     */
    default CompletionStage<Void> listening(App app, String channel) {
        return LISTENING;
    }

    /** Null while the link to the other nodes works, else what is wrong (for /ready and the logs). */
    default String problem() {
        return null;
    }

    @Override
    void close();
}
