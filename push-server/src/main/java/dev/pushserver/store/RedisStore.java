package dev.pushserver.store;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
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
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * Redis is back, when the re-registration announces what changed).
 */
public final class RedisStore implements MembershipStore {

    private static final Logger log = LoggerFactory.getLogger(RedisStore.class);
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final long WAIT_MS = 10_000;

    private final RedisLink link;
    private final EventStream events;
    private final AppRegistry apps;
    private final String nodeId;
    private final long timeoutMs;
    private final String nodesKey;
    private final ScheduledExecutorService timer;
    private final Map<App, Mirror> mirrors = new ConcurrentHashMap<>();
    private volatile String incarnation;
    private volatile String previous;
    private volatile boolean dirty;
    private volatile boolean closed;
    private volatile ToIntFunction<App> localConnections = a -> 0;
    private final Map<App, Integer> elsewhere = new ConcurrentHashMap<>();
    private long downLoggedAt;
    private long downSince;

    /** What this node's own clients hold, per app; the source of truth for re-registration. */
    private static final class Mirror {
        /** entry -> subscription */
        final Map<String, Sub> subs = new HashMap<>();
        /** entry -> user id */
        final Map<String, String> signIns = new HashMap<>();
    }

    private record Sub(String channel, String socketId, String userId, String userInfo) {
    }

    public RedisStore(RedisLink link, EventStream events, AppRegistry apps) {
        this.link = link;
        this.events = events;
        this.apps = apps;
        this.nodeId = link.settings().nodeId();
        this.timeoutMs = link.settings().nodeTimeoutSeconds() * 1000L;
        this.nodesKey = link.key("nodes");
        this.incarnation = nodeId + "~" + Long.toString(System.currentTimeMillis(), 36);
        this.previous = incarnation;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster");
            t.setDaemon(true);
            return t;
        });
        // the first beat before any client: a normal start registers nothing twice
        try {
            timer.submit(this::beat).get(WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("cluster: first heartbeat: {}", e.toString());
        }
        long period = Math.max(200, Math.min(1000, timeoutMs / 4));
        timer.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
    }

    private Mirror mirror(App app) {
        return mirrors.computeIfAbsent(app, a -> new Mirror());
    }

    private String key(App app, String suffix) {
        return link.appKey(app.id(), suffix);
    }

    private String nodeSet(App app, String inc) {
        return key(app, "n:" + inc);
    }

    private static String subEntry(String socketId, String channel, String userId) {
        return "s|" + socketId + "|" + channel + "|" + (userId == null ? "" : userId);
    }

    private static String userEntry(String socketId, String userId) {
        return "u|" + socketId + "|" + userId;
    }

    private <T> CompletionStage<T> run(Script script, ScriptOutputType type, String[] keys, String... args) {
        if (!link.isConnected()) {
            return CompletableFuture.failedFuture(new StoreUnavailable(link.settings().safeUrl()));
        }
        return link.<T>run(script, type, keys, args).exceptionallyCompose(e -> {
            dirty = true; // Redis may or may not have applied it: re-register once it answers
            return CompletableFuture.failedFuture(new StoreUnavailable(link.settings().safeUrl() + ": " + e));
        });
    }

    // ---- subscriptions ----------------------------------------------------------------------------------------

    @Override
    public CompletionStage<Joined> join(App app, Join j) {
        Mirror m = mirror(app);
        String entry = subEntry(j.socketId(), j.channel(), j.userId());
        CompletionStage<List<Object>> reply;
        synchronized (m) {
            m.subs.put(entry, new Sub(j.channel(), j.socketId(), j.userId(), j.userInfoJson()));
            reply = sendJoin(app, incarnation, entry, j.channel(), j.userId(), j.userInfoJson(), j.maxMembers(),
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
            return joined(app, j.channel(), j.socketId(), j.userId(), j.userInfoJson(), r);
        });
    }

    private CompletionStage<List<Object>> sendJoin(App app, String inc, String entry, String channel, String userId,
            String userInfo, int maxMembers, boolean readCache) {
        String[] keys = {nodeSet(app, inc), key(app, "ch"), key(app, "m:" + channel), key(app, "mc:" + channel),
            key(app, "v"), key(app, "cache:" + channel)};
        return run(RedisScripts.JOIN, ScriptOutputType.MULTI, keys, entry, channel, userId == null ? "" : userId,
                userInfo == null ? "" : userInfo, Integer.toString(maxMembers), readCache ? "1" : "0");
    }

    /** Emits what a JOIN decided and returns the subscriber's answer. On the Redis reply thread, in reply order. */
    @SuppressWarnings("unchecked")
    private Joined joined(App app, String channel, String socketId, String userId, String userInfo, List<Object> r) {
        long version = (Long) r.get(0);
        boolean added = (Long) r.get(1) == 1;
        if ((Long) r.get(2) == 1) {
            events.emit(app, EventType.CHANNEL_OCCUPIED, (seq, t) -> new ChannelOccupied(app, channel, socketId, t,
                    seq));
        }
        if ((Long) r.get(3) == 1) {
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
        String entry = subEntry(socketId, channel, userId);
        CompletionStage<List<Object>> reply;
        synchronized (m) {
            m.subs.remove(entry);
            reply = sendLeave(app, incarnation, previous, entry, channel, userId);
        }
        return reply.handle((r, failure) -> {
            if (failure == null) {
                left(app, channel, socketId, userId, r);
            }
            return null;
        });
    }

    private CompletionStage<List<Object>> sendLeave(App app, String inc, String prev, String entry, String channel,
            String userId) {
        String[] keys = {nodeSet(app, inc), key(app, "ch"), key(app, "m:" + channel), key(app, "mc:" + channel),
            key(app, "v"), nodeSet(app, prev)};
        return run(RedisScripts.LEAVE, ScriptOutputType.MULTI, keys, entry, channel, userId == null ? "" : userId);
    }

    private void left(App app, String channel, String socketId, String userId, List<Object> r) {
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

    // ---- users ------------------------------------------------------------------------------------------------

    @Override
    public CompletionStage<Boolean> signIn(App app, String userId, String socketId) {
        Mirror m = mirror(app);
        String entry = userEntry(socketId, userId);
        CompletionStage<Long> reply;
        synchronized (m) {
            m.signIns.put(entry, userId);
            reply = run(RedisScripts.SIGN_IN, ScriptOutputType.INTEGER, new String[] {nodeSet(app, incarnation),
                key(app, "u")}, entry, userId);
        }
        return reply.handle((r, failure) -> {
            if (failure != null) {
                synchronized (m) {
                    return m.signIns.values().stream().filter(userId::equals).count() == 1;
                }
            }
            return signedIn(app, userId, socketId, r);
        });
    }

    private boolean signedIn(App app, String userId, String socketId, long r) {
        if (r == 2) {
            events.emit(app, EventType.USER_ONLINE, (seq, t) -> new UserOnline(app, userId, socketId, t, seq));
        }
        return r == 2;
    }

    @Override
    public CompletionStage<Boolean> signOut(App app, String userId, String socketId) {
        Mirror m = mirror(app);
        String entry = userEntry(socketId, userId);
        CompletionStage<Long> reply;
        synchronized (m) {
            m.signIns.remove(entry);
            reply = sendSignOut(app, incarnation, previous, entry, userId);
        }
        return reply.handle((r, failure) -> failure == null && signedOut(app, userId, socketId, r));
    }

    private CompletionStage<Long> sendSignOut(App app, String inc, String prev, String entry, String userId) {
        return run(RedisScripts.SIGN_OUT, ScriptOutputType.INTEGER, new String[] {nodeSet(app, inc), key(app, "u"),
            nodeSet(app, prev)}, entry, userId);
    }

    private boolean signedOut(App app, String userId, String socketId, long r) {
        if (r == 2) {
            events.emit(app, EventType.USER_OFFLINE, (seq, t) -> new UserOffline(app, userId, socketId, t, seq));
        }
        return r == 2;
    }

    @Override
    public CompletionStage<Set<String>> online(App app, Collection<String> userIds) {
        if (userIds.isEmpty()) {
            return CompletableFuture.completedFuture(Set.of());
        }
        List<String> ids = new ArrayList<>(userIds);
        return state(() -> link.state().hmget(key(app, "u"), ids.toArray(String[]::new))).handle((values, f) -> {
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
            return state(() -> link.state().hget(key(app, "u"), user)).thenApply(n -> n == null
                    ? ChannelCounts.NONE : new ChannelCounts(Integer.parseInt(n), 0));
        }
        return this.<List<Object>>run(RedisScripts.CHANNEL, ScriptOutputType.MULTI, new String[] {key(app, "ch"),
            key(app, "m:" + channel)}, channel).thenApply(r -> new ChannelCounts(((Long) r.get(0)).intValue(),
                ((Long) r.get(1)).intValue()));
    }

    @Override
    public CompletionStage<Map<String, ChannelCounts>> channels(App app, String prefix, int limit) {
        return this.<List<Object>>run(RedisScripts.CHANNELS, ScriptOutputType.MULTI, new String[] {key(app, "ch")},
                prefix == null ? "" : prefix, Integer.toString(limit), key(app, "")).thenApply(r -> {
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
        return state(() -> link.state().hgetall(key(app, "m:" + channel))).thenApply(all -> {
            Map<String, String> out = new LinkedHashMap<>();
            all.forEach((id, info) -> out.put(id, info.isEmpty() ? null : info));
            return out;
        });
    }

    @Override
    public CompletionStage<Void> cache(App app, String channel, CachedEvent event) {
        return this.<Long>run(RedisScripts.CACHE, ScriptOutputType.INTEGER, new String[] {key(app, "cache:" + channel)},
                new String(event.message(), StandardCharsets.UTF_8), event.data() == null ? "" : event.data(),
                Long.toString(event.expiresAtMillis())).thenApply(r -> null);
    }

    @Override
    @SuppressWarnings("unchecked")
    public CompletionStage<CachedEvent> cached(App app, String channel) {
        return this.<List<Object>>run(RedisScripts.CACHED, ScriptOutputType.MULTI,
                new String[] {key(app, "cache:" + channel)}).thenApply(c -> c.size() == 3
                        ? new CachedEvent(((String) c.get(0)).getBytes(StandardCharsets.UTF_8), (String) c.get(1),
                                System.currentTimeMillis() + (Long) c.get(2))
                        : null);
    }

    // ---- connections per app (max_connections) ----------------------------------------------------------------

    @Override
    public void countConnections(ToIntFunction<App> local) {
        this.localConnections = local;
    }

    @Override
    public int connectionsElsewhere(App app) {
        return elsewhere.getOrDefault(app, 0);
    }

    /** Publishes this node's connection counts and reads the others' (apps with max_connections only). */
    private void shareConnectionCounts() {
        String me = incarnation;
        for (App app : apps.all()) {
            if (app.config().maxConnections() <= 0) {
                continue;
            }
            String k = key(app, "conn");
            link.state().hset(k, me, Integer.toString(localConnections.applyAsInt(app)));
            link.state().hgetall(k).thenAccept(all -> {
                int sum = 0;
                for (var e : all.entrySet()) {
                    if (!e.getKey().equals(me)) {
                        sum += Integer.parseInt(e.getValue());
                    }
                }
                elsewhere.put(app, sum);
            });
        }
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

    /** On the cluster thread: connect, renew this node's deadline, re-register when needed, reap dead nodes. */
    @SuppressWarnings("unchecked")
    private void beat() {
        if (closed) {
            return;
        }
        try {
            if (!link.connect()) {
                down(link.lastError());
                return;
            }
            List<Object> r = link.<List<Object>>run(RedisScripts.HEARTBEAT, ScriptOutputType.MULTI,
                    new String[] {nodesKey}, incarnation, Long.toString(timeoutMs)).toCompletableFuture()
                    .get(WAIT_MS, TimeUnit.MILLISECONDS);
            boolean fresh = (Long) r.get(0) == 1;
            if (downSince != 0) {
                log.info("cluster: Redis {} answers again after {} ms; registering this node's clients again",
                        link.settings().safeUrl(), System.currentTimeMillis() - downSince);
                downSince = 0;
                dirty = true;
            }
            link.reachable(true);
            if (fresh && !dirty && hasRegistered()) {
                log.warn("cluster: node {} was missing from Redis (declared dead, or Redis lost its data); "
                        + "registering its clients again", incarnation);
                dirty = true;
            }
            if (dirty) {
                reincarnate();
            }
            shareConnectionCounts();
            for (Object dead : (List<Object>) r.get(1)) {
                if (!dead.equals(incarnation)) {
                    reap((String) dead);
                }
            }
        } catch (Exception e) {
            down(e.getCause() != null ? e.getCause().toString() : e.toString());
        }
    }

    private boolean registered;

    private boolean hasRegistered() {
        boolean was = registered;
        registered = true;
        return was;
    }

    private void down(String why) {
        link.reachable(false);
        dirty = true;
        long now = System.currentTimeMillis();
        if (downSince == 0) {
            downSince = now;
        }
        if (now - downLoggedAt > 10_000) {
            downLoggedAt = now;
            log.warn("cluster: Redis {} is unreachable ({}): serving this node's clients only; cross-node messages, "
                    + "cluster-wide counts and presence resume when it answers (retrying every second)",
                    link.settings().safeUrl(), why);
        }
    }

    /**
     * Registers everything this node's clients hold under a new incarnation, then removes the old one: counts and
     * members that stayed are never seen to drop; what changed meanwhile is announced once.
     */
    private void reincarnate() throws Exception {
        String old = incarnation;
        String next = nodeId + "~" + Long.toString(System.currentTimeMillis(), 36)
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
        link.run(RedisScripts.HEARTBEAT, ScriptOutputType.MULTI, new String[] {nodesKey}, next,
                Long.toString(timeoutMs)).toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
        dirty = false;
        // from here on, new operations go to the new incarnation (and leaves look in the old one too); what was
        // registered before is registered again below, from a snapshot taken under each app's lock
        previous = old;
        incarnation = next;
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (var e : mirrors.entrySet()) {
            App app = e.getKey();
            Mirror m = e.getValue();
            synchronized (m) {
                for (var s : m.subs.entrySet()) {
                    Sub sub = s.getValue();
                    pending.add(sendJoin(app, next, s.getKey(), sub.channel(), sub.userId(), sub.userInfo(),
                            Integer.MAX_VALUE, false).thenAccept(r -> {
                                if ((Long) r.get(0) >= 0) {
                                    joined(app, sub.channel(), sub.socketId(), sub.userId(), sub.userInfo(), r);
                                }
                            }).toCompletableFuture());
                }
                for (var s : m.signIns.entrySet()) {
                    String socketId = s.getKey().split("\\|", 3)[1];
                    String userId = s.getValue();
                    pending.add(run(RedisScripts.SIGN_IN, ScriptOutputType.INTEGER, new String[] {nodeSet(app, next),
                        key(app, "u")}, s.getKey(), userId).thenAccept(r -> signedIn(app, userId, socketId,
                            (Long) r)).toCompletableFuture());
                }
            }
        }
        CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get(WAIT_MS * 3, TimeUnit.MILLISECONDS);
        int removed = remove(old);
        log.info("cluster: node registered as {} ({} entries of {} removed)", next, removed, old);
    }

    /** Removes a dead incarnation, claimed so that only one node does it at a time; announces its transitions. */
    private void reap(String dead) throws Exception {
        String claim = link.key("reap:" + dead);
        String won = link.state().set(claim, incarnation, SetArgs.Builder.nx().px(Math.max(timeoutMs, 30_000)))
                .get(WAIT_MS, TimeUnit.MILLISECONDS);
        if (!"OK".equals(won)) {
            return;
        }
        long started = System.currentTimeMillis();
        int removed = remove(dead);
        link.state().del(claim);
        log.info("cluster: node {} missed its heartbeat for {} s: removed its {} entries in {} ms", dead,
                timeoutMs / 1000, removed, System.currentTimeMillis() - started);
    }

    /** Removes every entry of an incarnation (leaves, sign-outs), announcing the transitions; then forgets it. */
    private int remove(String inc) throws Exception {
        int removed = 0;
        for (App app : apps.all()) {
            String set = nodeSet(app, inc);
            Set<String> entries = link.state().smembers(set).get(WAIT_MS, TimeUnit.MILLISECONDS);
            List<CompletableFuture<?>> pending = new ArrayList<>();
            for (String entry : entries) {
                String[] p = entry.split("\\|", 4);
                if (p[0].equals("s") && p.length == 4) {
                    String userId = p[3].isEmpty() ? null : p[3];
                    pending.add(sendLeave(app, inc, inc, entry, p[2], userId)
                            .thenAccept(r -> left(app, p[2], p[1], userId, r)).toCompletableFuture());
                } else if (p[0].equals("u")) {
                    String[] u = entry.split("\\|", 3);
                    pending.add(sendSignOut(app, inc, inc, entry, u[2])
                            .thenAccept(r -> signedOut(app, u[2], u[1], r)).toCompletableFuture());
                } else {
                    link.state().srem(set, entry);
                }
            }
            CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get(WAIT_MS * 3,
                    TimeUnit.MILLISECONDS);
            removed += entries.size();
            link.state().hdel(key(app, "conn"), inc);
        }
        link.state().zrem(nodesKey, inc).get(WAIT_MS, TimeUnit.MILLISECONDS);
        return removed;
    }

    /** This node's current incarnation in Redis (tests, logs). */
    public String incarnation() {
        return incarnation;
    }

    /** Graceful stop: removes what is left of this node from Redis, so others see its users leave at once. */
    @Override
    public void close() {
        closed = true;
        try {
            timer.submit(() -> {
                if (link.isConnected()) {
                    int n = remove(incarnation);
                    if (previous != null && !previous.equals(incarnation)) {
                        n += remove(previous);
                    }
                    log.info("cluster: node {} left the cluster ({} entries removed)", incarnation, n);
                }
                return null;
            }).get(WAIT_MS * 2, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("cluster: could not remove this node from Redis on the way out ({}); the others will after "
                    + "node_timeout", e.toString());
        }
        timer.shutdownNow();
    }
}
