package dev.pushserver.store;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.redis.RedisLink;
import dev.pushserver.store.Mirror.Sub;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership in the cluster, on its own thread ("cluster"): the heartbeat that keeps its incarnation
 * ({@code <node id>~<n>}) alive in {@code <prefix>nodes}, reaping incarnations of dead nodes, registering again under
 * a new incarnation whenever Redis lost track of this node, the silent restore after Redis lost its data, and the
 * connection counts shared for {@code max_connections}.
 */
final class ClusterNode {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    static final long WAIT_MS = 10_000;

    private final RedisLink link;
    private final AppRegistry apps;
    private final Transitions t;
    private final Map<App, Mirror> mirrors;
    private final String nodeId;
    private final long timeoutMs;
    private final String nodesKey;
    private final ScheduledExecutorService timer;
    private volatile String incarnation;
    private volatile String previous;
    private volatile boolean dirty;
    private volatile boolean closed;
    private volatile ToIntFunction<App> localConnections = a -> 0;
    private final Map<App, Integer> elsewhere = new ConcurrentHashMap<>();
    private long downLoggedAt;
    private long downSince;
    private boolean registered;
    /** the deployment's epoch in Redis as this node last saw it: a new one means Redis lost its data */
    private String epoch;
    /** when this node last started to see Redis answer (ms) */
    private long upSince;
    /** when to announce what changed while Redis had lost its data (0: nothing to do) */
    private volatile long announceAt;

    ClusterNode(RedisLink link, AppRegistry apps, Transitions t, Map<App, Mirror> mirrors) {
        this.link = link;
        this.apps = apps;
        this.t = t;
        this.mirrors = mirrors;
        this.nodeId = link.settings().nodeId();
        this.timeoutMs = link.settings().nodeTimeoutSeconds() * 1000L;
        this.nodesKey = link.key("nodes");
        this.incarnation = nodeId + "~" + Long.toString(System.currentTimeMillis(), 36);
        this.previous = incarnation;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "cluster");
            th.setDaemon(true);
            return th;
        });
    }

    /** Beats once before any client (a normal start registers nothing twice), then every node_timeout/4 (<= 1 s). */
    void start() {
        try {
            timer.submit(this::beat).get(WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("cluster: first heartbeat: {}", e.toString());
        }
        long period = Math.max(200, Math.min(1000, timeoutMs / 4));
        timer.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
    }

    /** Where new entries go. */
    String incarnation() {
        return incarnation;
    }

    /** The incarnation before, where a removal also looks while this node registers again. */
    String previous() {
        return previous;
    }

    /** An operation got no answer: register again once Redis answers. */
    void markDirty() {
        dirty = true;
    }

    void countConnections(ToIntFunction<App> local) {
        this.localConnections = local;
    }

    int connectionsElsewhere(App app) {
        return elsewhere.getOrDefault(app, 0);
    }

    /** Publishes this node's connection counts and reads the others' (apps with max_connections only). */
    private void shareConnectionCounts() {
        String me = incarnation;
        for (App app : apps.all()) {
            if (app.config().maxConnections() <= 0) {
                continue;
            }
            String k = t.key(app, "conn");
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
            long now = System.currentTimeMillis();
            if (upSince == 0) {
                upSince = now;
            }
            if (downSince != 0) {
                log.info("cluster: Redis {} answers again after {} ms; registering this node's clients again",
                        link.settings().safeUrl(), now - downSince);
                downSince = 0;
                upSince = now;
                dirty = true;
            }
            link.reachable(true);
            if (fresh && !dirty && hasRegistered()) {
                log.warn("cluster: node {} was missing from Redis (declared dead, or Redis lost its data); "
                        + "registering its clients again", incarnation);
                dirty = true;
            }
            boolean lost = (dirty || epoch == null) && redisLostData();
            if (dirty) {
                reincarnate(lost);
            }
            if (announceAt != 0 && now >= announceAt) {
                announceAt = 0;
                announceChanges();
            }
            shareConnectionCounts();
            // after an outage every node's deadline has passed: give the others one node_timeout to come back and
            // register again before counting them as dead, so that a node that stayed does not flap
            if (now - upSince >= timeoutMs) {
                for (Object dead : (List<Object>) r.get(1)) {
                    if (!dead.equals(incarnation)) {
                        reap((String) dead);
                    }
                }
            }
        } catch (Exception e) {
            down(e.getCause() != null ? e.getCause().toString() : e.toString());
        }
    }

    private boolean hasRegistered() {
        boolean was = registered;
        registered = true;
        return was;
    }

    /** Whether Redis lost its data since this node last looked (its epoch key is gone or new). */
    private boolean redisLostData() throws Exception {
        String key = link.key("epoch");
        link.state().set(key, Long.toString(System.currentTimeMillis(), 36) + "-" + nodeId, SetArgs.Builder.nx())
                .get(WAIT_MS, TimeUnit.MILLISECONDS);
        String now = link.state().get(key).get(WAIT_MS, TimeUnit.MILLISECONDS);
        boolean lost = epoch != null && !epoch.equals(now);
        epoch = now;
        return lost;
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
     * Registers this node again under a new incarnation.
     * <ul>
     * <li>Redis kept its data: everything this node's clients hold now is registered under the new incarnation, then
     * the old one is removed, so counts and members that stayed never drop, and what changed meanwhile is announced
     * once.</li>
     * <li>Redis lost its data: what the cluster had been told (the confirmed entries) is restored silently; a few
     * seconds later, when the other nodes have restored theirs too, the difference to what the clients hold now is
     * announced ({@link #announceChanges}), so members who left meanwhile are announced as gone.</li>
     * </ul>
     */
    private void reincarnate(boolean lost) throws Exception {
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
                Map<String, Sub> subs = lost ? m.confirmedSubs : m.subs;
                Map<String, String> signIns = lost ? m.confirmedSignIns : m.signIns;
                for (var s : subs.entrySet()) {
                    pending.add(register(app, m, next, s.getKey(), s.getValue(), !lost));
                }
                for (var s : signIns.entrySet()) {
                    pending.add(registerSignIn(app, m, next, s.getKey(), s.getValue(), !lost));
                }
            }
        }
        CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get(WAIT_MS * 3, TimeUnit.MILLISECONDS);
        int removed = remove(old);
        if (lost) {
            announceAt = System.currentTimeMillis() + Math.max(4_000, timeoutMs / 2);
            log.warn("cluster: Redis lost its data; node registered again as {} ({} entries restored); what changed "
                    + "meanwhile is announced in {} ms", next, pending.size(), announceAt - System.currentTimeMillis());
        } else {
            for (Mirror m : mirrors.values()) {
                synchronized (m) {
                    m.confirmedSubs.keySet().retainAll(m.subs.keySet());
                    m.confirmedSignIns.keySet().retainAll(m.signIns.keySet());
                }
            }
            log.info("cluster: node registered as {} ({} entries of {} removed)", next, removed, old);
        }
    }

    private CompletableFuture<?> register(App app, Mirror m, String inc, String entry, Sub sub, boolean announce) {
        return t.sendJoin(app, inc, entry, sub.channel(), sub.userId(), sub.userInfo(), Integer.MAX_VALUE, false)
                .thenAccept(r -> {
                    if ((Long) r.get(0) >= 0) {
                        if (announce) {
                            synchronized (m) {
                                if (m.subs.containsKey(entry)) {
                                    m.confirmedSubs.put(entry, sub);
                                }
                            }
                        }
                        t.joined(app, sub.channel(), sub.socketId(), sub.userId(), sub.userInfo(), r, announce);
                    }
                }).toCompletableFuture();
    }

    private CompletableFuture<?> registerSignIn(App app, Mirror m, String inc, String entry, String userId,
            boolean announce) {
        String socketId = entry.split("\\|", 3)[1];
        return t.sendSignIn(app, inc, entry, userId).thenAccept(r -> {
                if (announce) {
                    synchronized (m) {
                        if (m.signIns.containsKey(entry)) {
                            m.confirmedSignIns.put(entry, userId);
                        }
                    }
                }
                t.signedIn(app, userId, socketId, r, announce);
            }).toCompletableFuture();
    }

    /**
     * After a silent restore: removes (and announces) what the clients no longer hold, registers (and announces)
     * what they gained while Redis was away.
     */
    private void announceChanges() throws Exception {
        String inc = incarnation;
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (var e : mirrors.entrySet()) {
            App app = e.getKey();
            Mirror m = e.getValue();
            synchronized (m) {
                for (var s : new ArrayList<>(m.confirmedSubs.entrySet())) {
                    if (!m.subs.containsKey(s.getKey())) {
                        Sub sub = s.getValue();
                        pending.add(t.sendLeave(app, inc, inc, s.getKey(), sub.channel(), sub.userId()).thenAccept(r -> {
                            synchronized (m) {
                                m.confirmedSubs.remove(s.getKey());
                            }
                            t.left(app, sub.channel(), sub.socketId(), sub.userId(), r);
                        }).toCompletableFuture());
                    }
                }
                for (var s : new ArrayList<>(m.confirmedSignIns.entrySet())) {
                    if (!m.signIns.containsKey(s.getKey())) {
                        String socketId = s.getKey().split("\\|", 3)[1];
                        pending.add(t.sendSignOut(app, inc, inc, s.getKey(), s.getValue()).thenAccept(r -> {
                            synchronized (m) {
                                m.confirmedSignIns.remove(s.getKey());
                            }
                            t.signedOut(app, s.getValue(), socketId, r);
                        }).toCompletableFuture());
                    }
                }
                for (var s : m.subs.entrySet()) {
                    if (!m.confirmedSubs.containsKey(s.getKey())) {
                        pending.add(register(app, m, inc, s.getKey(), s.getValue(), true));
                    }
                }
                for (var s : m.signIns.entrySet()) {
                    if (!m.confirmedSignIns.containsKey(s.getKey())) {
                        pending.add(registerSignIn(app, m, inc, s.getKey(), s.getValue(), true));
                    }
                }
            }
        }
        CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get(WAIT_MS * 3, TimeUnit.MILLISECONDS);
        log.info("cluster: announced {} changes made while Redis had lost its data", pending.size());
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
            String set = t.nodeSet(app, inc);
            Set<String> entries = link.state().smembers(set).get(WAIT_MS, TimeUnit.MILLISECONDS);
            List<CompletableFuture<?>> pending = new ArrayList<>();
            for (String entry : entries) {
                String[] p = entry.split("\\|", 4);
                if (p[0].equals("s") && p.length == 4) {
                    String userId = p[3].isEmpty() ? null : p[3];
                    pending.add(t.sendLeave(app, inc, inc, entry, p[2], userId)
                            .thenAccept(r -> t.left(app, p[2], p[1], userId, r)).toCompletableFuture());
                } else if (p[0].equals("u")) {
                    String[] u = entry.split("\\|", 3);
                    pending.add(t.sendSignOut(app, inc, inc, entry, u[2])
                            .thenAccept(r -> t.signedOut(app, u[2], u[1], r)).toCompletableFuture());
                } else {
                    link.state().srem(set, entry);
                }
            }
            CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get(WAIT_MS * 3,
                    TimeUnit.MILLISECONDS);
            removed += entries.size();
            link.state().hdel(t.key(app, "conn"), inc);
        }
        link.state().zrem(nodesKey, inc).get(WAIT_MS, TimeUnit.MILLISECONDS);
        return removed;
    }

    /** Graceful stop: removes what is left of this node from Redis, so others see its users leave at once. */
    void close() {
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
