package dev.pushserver.store;

import dev.pushserver.app.App;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Who is subscribed where, who is a presence member, who is signed in, and the last event of each cache channel:
 * the state that decides every membership transition. Each transition is decided here, once, and emitted on the
 * event stream under the same lock (channel occupied and vacated, member added and removed, subscription count
 * changed, user online and offline). Answers may come later ({@link CompletionStage}): the in-memory store answers at
 * once, a shared store (Redis) when its reply arrives. Callers keep the order of one connection's operations.
 */
public interface MembershipStore {

    /** Adds one subscription. */
    CompletionStage<Joined> join(App app, Join join);

    /** Removes a subscription that {@link #join} added; {@code userId} is its presence identity or null. */
    CompletionStage<Void> leave(App app, String channel, String socketId, String userId);

    /** A connection signed in as {@code userId}; completes with true when it is the user's first (online). */
    CompletionStage<Boolean> signIn(App app, String userId, String socketId);

    /** A signed-in connection went away; completes with true when it was the user's last (offline). */
    CompletionStage<Boolean> signOut(App app, String userId, String socketId);

    /** Those of {@code userIds} that are signed in on at least one connection. */
    CompletionStage<Set<String>> online(App app, Collection<String> userIds);

    /** Counts of one channel (zero when it is not occupied). */
    CompletionStage<ChannelCounts> channel(App app, String channel);

    /**
     * Occupied channels whose name starts with {@code prefix} (every one when null), with their counts; at most
     * {@code limit} of them (a caller that asks for one more than it will list learns that there are too many).
     */
    CompletionStage<Map<String, ChannelCounts>> channels(App app, String prefix, int limit);

    /** Presence members of a channel: user id to user_info JSON (null when none), in join order. */
    CompletionStage<Map<String, String>> members(App app, String channel);

    /** Keeps {@code event} as the last event of a cache channel until it expires. */
    CompletionStage<Void> cache(App app, String channel, CachedEvent event);

    /** The live cached event of a cache channel, or null. */
    CompletionStage<CachedEvent> cached(App app, String channel);

    /**
     * Takes {@code amount} from the app's budget named {@code limit} that refills at {@code perSecond} (see
     * {@link RateBudget}); a shared store keeps one budget for the whole cluster.
     *
     * @return 0 when taken, else the microseconds to wait before the same amount would be taken
     */
    CompletionStage<Long> take(App app, String limit, int amount, int perSecond);

    /** Drops expired cache entries; called periodically. */
    default void evictExpired() {
    }

    /** Where a cluster-wide store reads this node's connection count per app (for max_connections). */
    default void countConnections(java.util.function.ToIntFunction<App> local) {
    }

    /** Connections of {@code app} on the other nodes, as last heard (0 for one node). */
    default int connectionsElsewhere(App app) {
        return 0;
    }

    /** Null while the store works, else what is wrong (for /ready and the logs). */
    default String problem() {
        return null;
    }

    /** Stops; a shared store removes this node's state. */
    default void close() {
    }
}
