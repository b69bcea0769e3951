package dev.pushserver.store;

import dev.pushserver.app.App;
import dev.pushserver.event.ChannelEvent.ChannelOccupied;
import dev.pushserver.event.ChannelEvent.ChannelVacated;
import dev.pushserver.event.ChannelEvent.MemberAdded;
import dev.pushserver.event.ChannelEvent.MemberRemoved;
import dev.pushserver.event.ChannelEvent.SubscriptionCountChanged;
import dev.pushserver.event.ChannelEvent.UserOffline;
import dev.pushserver.event.ChannelEvent.UserOnline;
import dev.pushserver.event.EventStream;
import dev.pushserver.event.EventType;
import dev.pushserver.protocol.ChannelType;
import dev.pushserver.redis.RedisLink;
import dev.pushserver.redis.Script;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The membership scripts of the cluster-wide store ({@link RedisScripts}) and the announcement of what each decided:
 * the reply of a script that made a transition is emitted on this node's event stream, on the Redis reply thread,
 * in reply order. Used for clients' operations ({@link RedisStore}) and for registering, restoring and reaping
 * ({@link ClusterNode}) alike, so that every path announces the same way.
 */
final class Transitions {

    private final RedisLink link;
    private final EventStream events;
    /** told when Redis did not answer an operation (it may or may not have applied it) */
    private final Runnable failed;

    Transitions(RedisLink link, EventStream events, Runnable failed) {
        this.link = link;
        this.events = events;
        this.failed = failed;
    }

    String key(App app, String suffix) {
        return link.appKey(app.id(), suffix);
    }

    String nodeSet(App app, String inc) {
        return key(app, "n:" + inc);
    }

    CompletionStage<Long> sendSignIn(App app, String inc, String entry, String userId) {
        return run(RedisScripts.SIGN_IN, ScriptOutputType.INTEGER, new String[] {nodeSet(app, inc), key(app, "u")},
                entry, userId);
    }

    <T> CompletionStage<T> run(Script script, ScriptOutputType type, String[] keys, String... args) {
        if (!link.isConnected()) {
            return CompletableFuture.failedFuture(new StoreUnavailable(link.settings().safeUrl()));
        }
        return link.<T>run(script, type, keys, args).exceptionallyCompose(e -> {
            failed.run(); // Redis may or may not have applied it: re-register once it answers
            return CompletableFuture.failedFuture(new StoreUnavailable(link.settings().safeUrl() + ": " + e));
        });
    }

    CompletionStage<List<Object>> sendJoin(App app, String inc, String entry, String channel, String userId,
            String userInfo, int maxMembers, boolean readCache) {
        String[] keys = {nodeSet(app, inc), key(app, "ch"), key(app, "m:" + channel), key(app, "mc:" + channel),
            key(app, "v"), key(app, "cache:" + channel)};
        return run(RedisScripts.JOIN, ScriptOutputType.MULTI, keys, entry, channel, userId == null ? "" : userId,
                userInfo == null ? "" : userInfo, Integer.toString(maxMembers), readCache ? "1" : "0");
    }

    /** Emits what a JOIN decided and returns the subscriber's answer. On the Redis reply thread, in reply order. */
    @SuppressWarnings("unchecked")
    Joined joined(App app, String channel, String socketId, String userId, String userInfo, List<Object> r,
            boolean announce) {
        long version = (Long) r.get(0);
        boolean added = (Long) r.get(1) == 1 && announce;
        if ((Long) r.get(2) == 1 && announce) {
            events.emit(app, EventType.CHANNEL_OCCUPIED, (seq, t) -> new ChannelOccupied(app, channel, socketId, t,
                    seq));
        }
        if ((Long) r.get(3) == 1 && announce) {
            events.emit(app, EventType.MEMBER_ADDED, (seq, t) -> new MemberAdded(app, channel, userId, userInfo,
                    socketId, version, t, seq));
        }
        if (added) {
            countChanged(app, channel, ((Long) r.get(4)).intValue(), socketId);
        }
        Map<String, String> roster = null;
        if (userId != null) {
            roster = new LinkedHashMap<>();
            List<Object> flat = (List<Object>) r.get(5);
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                String info = (String) flat.get(i + 1);
                roster.put((String) flat.get(i), info.isEmpty() ? null : info);
            }
        }
        CachedEvent cached = null;
        List<Object> c = (List<Object>) r.get(6);
        if (c.size() == 3) {
            cached = new CachedEvent(((String) c.get(0)).getBytes(StandardCharsets.UTF_8), (String) c.get(1),
                    System.currentTimeMillis() + (Long) c.get(2));
        }
        return new Joined(false, version, roster, cached);
    }

    private void countChanged(App app, String channel, int count, String socketId) {
        if (ChannelType.of(channel).hasSubscriptionCount() && events.wants(app, EventType.SUBSCRIPTION_COUNT)) {
            events.emit(app, EventType.SUBSCRIPTION_COUNT,
                    (seq, t) -> new SubscriptionCountChanged(app, channel, count, socketId, t, seq));
        }
    }

    CompletionStage<List<Object>> sendLeave(App app, String inc, String prev, String entry, String channel,
            String userId) {
        String[] keys = {nodeSet(app, inc), key(app, "ch"), key(app, "m:" + channel), key(app, "mc:" + channel),
            key(app, "v"), nodeSet(app, prev)};
        return run(RedisScripts.LEAVE, ScriptOutputType.MULTI, keys, entry, channel, userId == null ? "" : userId);
    }

    void left(App app, String channel, String socketId, String userId, List<Object> r) {
        if ((Long) r.get(0) == 0) {
            return; // not registered (any more): nothing changed
        }
        long version = (Long) r.get(1);
        if ((Long) r.get(2) == 1) {
            events.emit(app, EventType.MEMBER_REMOVED,
                    (seq, t) -> new MemberRemoved(app, channel, userId, socketId, version, t, seq));
        }
        countChanged(app, channel, ((Long) r.get(3)).intValue(), socketId);
        if ((Long) r.get(4) == 1) {
            events.emit(app, EventType.CHANNEL_VACATED, (seq, t) -> new ChannelVacated(app, channel, socketId, t,
                    seq));
        }
    }

    boolean signedIn(App app, String userId, String socketId, long r, boolean announce) {
        if (r == 2 && announce) {
            events.emit(app, EventType.USER_ONLINE, (seq, t) -> new UserOnline(app, userId, socketId, t, seq));
        }
        return r == 2;
    }

    CompletionStage<Long> sendSignOut(App app, String inc, String prev, String entry, String userId) {
        return run(RedisScripts.SIGN_OUT, ScriptOutputType.INTEGER, new String[] {nodeSet(app, inc), key(app, "u"),
            nodeSet(app, prev)}, entry, userId);
    }

    boolean signedOut(App app, String userId, String socketId, long r) {
        if (r == 2) {
            events.emit(app, EventType.USER_OFFLINE, (seq, t) -> new UserOffline(app, userId, socketId, t, seq));
        }
        return r == 2;
    }
}
