package dev.pushserver.channel;

import dev.pushserver.connection.Connection;

/** A connection's membership of one channel; {@code slot} is its index in the channel's per-loop subscriber list. */
public final class Subscription {

    final ChannelState state;
    final Connection connection;
    /** The presence identity this subscription joined as, or null. */
    final String userId;
    int slot = -1;
    /** the channel's epoch when this subscription joined: it sees only messages published at or after it */
    long joinEpoch;

    Subscription(ChannelState state, Connection connection, String userId) {
        this.state = state;
        this.connection = connection;
        this.userId = userId;
    }

    public ChannelState state() {
        return state;
    }

    public Connection connection() {
        return connection;
    }

    public String userId() {
        return userId;
    }

    public long joinEpoch() {
        return joinEpoch;
    }
}
