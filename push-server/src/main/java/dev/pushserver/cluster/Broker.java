package dev.pushserver.cluster;

import dev.pushserver.fanout.ChannelInterest;
import dev.pushserver.fanout.Publication;
import java.util.function.Consumer;

/**
 * The link to the other nodes of a cluster, both ways: messages published here go out through {@link #publish}, and
 * messages published elsewhere come in to the local fan-out given to {@link #start}. Interest in a channel
 * ({@link ChannelInterest}) tells the broker which channels this node has subscribers for, so it receives only
 * those. A single node uses {@link LocalBroker}, which has no one to talk to.
 */
public interface Broker extends ChannelInterest, AutoCloseable {

    /** Starts receiving: publications of other nodes go to {@code local}. */
    void start(Consumer<Publication> local);

    /** Sends a publication of this node (already delivered locally) to the other nodes. */
    void publish(Publication publication);

    @Override
    void close();
}
