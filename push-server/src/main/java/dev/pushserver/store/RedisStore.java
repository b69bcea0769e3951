package dev.pushserver.store;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.event.EventStream;
import dev.pushserver.protocol.ChannelType;
import dev.pushserver.redis.RedisLink;
import dev.pushserver.store.Mirror.Sub;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * The cluster-wide store: the state of every node in Redis, each transition decided by one Lua script
 * ({@link RedisScripts}) and emitted on the event stream of the node that ran it, so that it is announced (and sent
 * to webhooks) once, whichever node observed it.
 *
 * <p>Each node registers what it adds under its current <em>incarnation</em> ({@code <node id>~<n>}), listed in
 * {@code <prefix>nodes} with a deadline that its heartbeat renews. When a node misses its deadline (kill -9,
 * network loss), a survivor claims it and removes its entries one by one with the same scripts, emitting the
 * member_removed, channel_vacated and offline transitions. This node also keeps, in memory, what its own clients
 * are subscribed to and signed in as; whenever Redis lost track of it (an outage, a restart without persistence,
 * being declared dead), it registers all of it again under a new incarnation and then removes the old one, so that
 * counts and presence are right again and the node is never half-present. While Redis is unreachable the node
 * keeps serving its own clients from that memory (rosters of its own members; no transitions are announced until
 * Redis is back, when the re-registration announces what changed). The scripts and their announcements are in
 * {@link Transitions}, the node's heartbeat, reaping and re-registration in {@link ClusterNode}.
 */
public final class RedisStore implements MembershipStore {

    private final RedisLink link;
    private final Transitions t;
    private final ClusterNode node;
    private final Map<App, Mirror> mirrors = new ConcurrentHashMap<>();

    public RedisStore(RedisLink link, EventStream events, AppRegistry apps) {
        this.link = link;
        this.t = new Transitions(link, events, this::failed);
        this.node = new ClusterNode(link, apps, t, mirrors);
        node.start();
    }

    /** Redis did not answer an operation: the node registers again once it does. */
    private void failed() {
        node.markDirty();
    }

    private Mirror mirror(App app) {
        return mirrors.computeIfAbsent(app, a -> new Mirror());
    }

    // ---- subscriptions ----------------------------------------------------------------------------------------

    @Override
    public CompletionStage<Joined> join(App app, Join j) {
        Mirror m = mirror(app);
        String entry = Mirror.subEntry(j.socketId(), j.channel(), j.userId());
        CompletionStage<List<Object>> reply;
        synchronized (m) {
            m.subs.put(entry, new Sub(j.channel(), j.socketId(), j.userId(), j.userInfoJson()));
            reply = t.sendJoin(app, node.incarnation(), entry, j.channel(), j.userId(), j.userInfoJson(), j.maxMembers(),
                    j.readCache());
        }
        return reply.handle((r, failure) -> {
            if (failure != null) {
                return degradedJoin(app, m, j);
            }
            if (((Long) r.get(0)) < 0) {
                synchronized (m) {
                    m.subs.remove(entry);
                }
                return Joined.FULL;
            }
            synchronized (m) {
                Sub sub = m.subs.get(entry);
                if (sub != null) {
                    m.confirmedSubs.put(entry, sub);
                }
            }
            return t.joined(app, j.channel(), j.socketId(), j.userId(), j.userInfoJson(), r, true);
        });
    }

    /**
     * Redis did not answer: the subscription works on this node; its roster holds this node's members, and it gets
     * every member event from now on (version 0). Re-registration announces the join once Redis is back.
     */
    private Joined degradedJoin(App app, Mirror m, Join j) {
        Map<String, String> roster = null;
        if (j.userId() != null) {
            roster = new LinkedHashMap<>();
            synchronized (m) {
                for (Sub s : m.subs.values()) {
                    if (s.channel().equals(j.channel()) && s.userId() != null) {
                        roster.put(s.userId(), s.userInfo());
                    }
                }
            }
        }
        return new Joined(false, 0, roster, null);
    }

    @Override
    public CompletionStage<Void> leave(App app, String channel, String socketId, String userId) {
        Mirror m = mirror(app);
        String entry = Mirror.subEntry(socketId, channel, userId);
        CompletionStage<List<Object>> reply;
        synchronized (m) {
            m.subs.remove(entry);
            reply = t.sendLeave(app, node.incarnation(), node.previous(), entry, channel, userId);
        }
        return reply.handle((r, failure) -> {
            if (failure == null) {
                synchronized (m) {
                    if (!m.subs.containsKey(entry)) {
                        m.confirmedSubs.remove(entry);
                    }
                }
                t.left(app, channel, socketId, userId, r);
            }
            return null;
        });
    }

    // ---- users ------------------------------------------------------------------------------------------------

    @Override
    public CompletionStage<Boolean> signIn(App app, String userId, String socketId) {
        Mirror m = mirror(app);
        String entry = Mirror.userEntry(socketId, userId);
        CompletionStage<Long> reply;
        synchronized (m) {
            m.signIns.put(entry, userId);
            reply = t.sendSignIn(app, node.incarnation(), entry, userId);
        }
        return reply.handle((r, failure) -> {
            if (failure != null) {
                synchronized (m) {
                    return m.signIns.values().stream().filter(userId::equals).count() == 1;
                }
            }
            synchronized (m) {
                if (m.signIns.containsKey(entry)) {
                    m.confirmedSignIns.put(entry, userId);
                }
            }
            return t.signedIn(app, userId, socketId, r, true);
        });
    }

    @Override
    public CompletionStage<Boolean> signOut(App app, String userId, String socketId) {
        Mirror m = mirror(app);
        String entry = Mirror.userEntry(socketId, userId);
        CompletionStage<Long> reply;
        synchronized (m) {
            m.signIns.remove(entry);
            reply = t.sendSignOut(app, node.incarnation(), node.previous(), entry, userId);
        }
        return reply.handle((r, failure) -> {
            if (failure != null) {
                return false;
            }
            synchronized (m) {
                if (!m.signIns.containsKey(entry)) {
                    m.confirmedSignIns.remove(entry);
                }
            }
            return t.signedOut(app, userId, socketId, r);
        });
    }

    @Override
    public CompletionStage<Set<String>> online(App app, Collection<String> userIds) {
        if (userIds.isEmpty()) {
            return CompletableFuture.completedFuture(Set.of());
        }
        List<String> ids = new ArrayList<>(userIds);
        return state(() -> link.state().hmget(t.key(app, "u"), ids.toArray(String[]::new))).handle((values, f) -> {
            Set<String> out = new LinkedHashSet<>();
            if (f != null) {
                Mirror m = mirror(app);
                synchronized (m) {
                    for (String id : ids) {
                        if (m.signIns.containsValue(id)) {
                            out.add(id);
                        }
                    }
                }
                return out;
            }
            for (var kv : values) {
                if (kv.hasValue()) {
                    out.add(kv.getKey());
                }
            }
            return out;
        });
    }

    private interface Command<T> {
        CompletionStage<T> send();
    }

    private <T> CompletionStage<T> state(Command<T> command) {
        if (!link.isConnected()) {
            return CompletableFuture.failedFuture(new StoreUnavailable(link.settings().safeUrl()));
        }
        try {
            return command.send().exceptionallyCompose(e -> CompletableFuture.failedFuture(
                    new StoreUnavailable(link.settings().safeUrl() + ": " + e)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new StoreUnavailable(link.settings().safeUrl() + ": " + e));
        }
    }

    // ---- queries ----------------------------------------------------------------------------------------------

    @Override
    public CompletionStage<ChannelCounts> channel(App app, String channel) {
        if (channel.startsWith(ChannelType.SERVER_TO_USER_PREFIX)) {
            String user = channel.substring(ChannelType.SERVER_TO_USER_PREFIX.length());
            return state(() -> link.state().hget(t.key(app, "u"), user)).thenApply(n -> n == null
                    ? ChannelCounts.NONE : new ChannelCounts(Integer.parseInt(n), 0));
        }
        return t.<List<Object>>run(RedisScripts.CHANNEL, ScriptOutputType.MULTI, new String[] {t.key(app, "ch"),
            t.key(app, "m:" + channel)}, channel).thenApply(r -> new ChannelCounts(((Long) r.get(0)).intValue(),
                ((Long) r.get(1)).intValue()));
    }

    @Override
    public CompletionStage<Map<String, ChannelCounts>> channels(App app, String prefix, int limit) {
        return t.<List<Object>>run(RedisScripts.CHANNELS, ScriptOutputType.MULTI, new String[] {t.key(app, "ch")},
                prefix == null ? "" : prefix, Integer.toString(limit), t.key(app, "")).thenApply(r -> {
                    Map<String, ChannelCounts> out = new LinkedHashMap<>();
                    for (int i = 0; i + 2 < r.size(); i += 3) {
                        int subs = ((Long) r.get(i + 1)).intValue();
                        if (subs > 0) {
                            out.put((String) r.get(i), new ChannelCounts(subs, ((Long) r.get(i + 2)).intValue()));
                        }
                    }
                    return out;
                });
    }

    @Override
    public CompletionStage<Map<String, String>> members(App app, String channel) {
        return state(() -> link.state().hgetall(t.key(app, "m:" + channel))).thenApply(all -> {
            Map<String, String> out = new LinkedHashMap<>();
            all.forEach((id, info) -> out.put(id, info.isEmpty() ? null : info));
            return out;
        });
    }

    @Override
    public CompletionStage<Void> cache(App app, String channel, CachedEvent event) {
        return t.<Long>run(RedisScripts.CACHE, ScriptOutputType.INTEGER, new String[] {t.key(app, "cache:" + channel)},
                new String(event.message(), StandardCharsets.UTF_8), event.data() == null ? "" : event.data(),
                Long.toString(event.expiresAtMillis())).thenApply(r -> null);
    }

    @Override
    @SuppressWarnings("unchecked")
    public CompletionStage<CachedEvent> cached(App app, String channel) {
        return t.<List<Object>>run(RedisScripts.CACHED, ScriptOutputType.MULTI,
                new String[] {t.key(app, "cache:" + channel)}).thenApply(c -> c.size() == 3
                        ? new CachedEvent(((String) c.get(0)).getBytes(StandardCharsets.UTF_8), (String) c.get(1),
                                System.currentTimeMillis() + (Long) c.get(2))
                        : null);
    }

    @Override
    public CompletionStage<Long> take(App app, String limit, int amount, int perSecond) {
        // straight to Redis: a failed take changes no membership, so it must not trigger a re-registration
        return link.<Long>run(RedisScripts.TAKE, ScriptOutputType.INTEGER, new String[] {t.key(app, "rl:" + limit)},
                Long.toString(RateBudget.cost(amount, perSecond)));
    }

    // ---- connections per app (max_connections) ----------------------------------------------------------------

    @Override
    public void countConnections(ToIntFunction<App> local) {
        node.countConnections(local);
    }

    @Override
    public int connectionsElsewhere(App app) {
        return node.connectionsElsewhere(app);
    }

    // ---- liveness ---------------------------------------------------------------------------------------------

    @Override
    public String problem() {
        if (!link.isUp()) {
            return "Redis " + link.settings().safeUrl() + " is unreachable"
                    + (link.lastError() != null ? " (" + link.lastError() + ")" : "");
        }
        return null;
    }

    private boolean registered;
    /** the deployment's epoch in Redis as this node last saw it: a new one means Redis lost its data */
    private String epoch;
    /** when this node last started to see Redis answer (ms) */
    private long upSince;
    /** when to announce what changed while Redis had lost its data (0: nothing to do) */
    private volatile long announceAt;

    /** This node's current incarnation in Redis (tests, logs). */
    public String incarnation() {
        return node.incarnation();
    }

    /** Graceful stop: removes what is left of this node from Redis, so others see its users leave at once. */
    @Override
    public void close() {
        node.close();
    }
}
