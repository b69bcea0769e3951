package dev.pushserver.hook;

import dev.pushserver.config.RedisSettings;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hook queue of a deployment with Redis: every node and every {@code push-server hooks} process shares it.
 * <ul>
 * <li>One Redis Stream per destination ({@code <prefix>hooks:q:<destination>}) with a consumer group
 * ({@code hooks}): a receiver that is down holds back only its own stream, and its backlog waits in Redis, not in
 * a worker's heap.</li>
 * <li>One hook worker at a time delivers a destination, in order: it holds a claim
 * ({@code <prefix>hooks:lease:<destination>}) that it renews while it lives. A claim not renewed for
 * {@code pending_timeout} lapses; the next worker takes it and re-claims (XAUTOCLAIM) what the dead worker had
 * read but not acknowledged, and delivers it again, first.</li>
 * <li>Failed attempts of the head batch are kept in {@code <prefix>hooks:try:<destination>}, so the back-off and
 * the retry period carry over to the next worker; dead letters go to the stream {@code <prefix>hooks:dead}.</li>
 * <li>While Redis cannot be written, events go to the local SQLite queue ("written aside"), and keep going there
 * until it is empty again, so that they stay in order; the process holding the data_dir lock moves them back to
 * Redis when it answers.</li>
 * </ul>
 */
final class RedisHookQueue implements HookQueue {

    private static final Logger log = LoggerFactory.getLogger(RedisHookQueue.class);

    static final String GROUP = "hooks";
    /** A Redis command that has not answered in this long counts as Redis being unreachable. */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
    /** Events moved back from the local queue per round (a round is one scan of the hook thread). */
    static final int REQUEUE_BATCH = 500;
    static final int REQUEUE_BATCHES_PER_ROUND = 20;

    private static final String RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then "
            + "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
    private static final String RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then "
            + "return redis.call('del', KEYS[1]) else return 0 end";

    /** the URL without its password, for logs and errors */
    private final String url;
    private final String prefix;
    private final String consumer;
    private final long leaseMs;
    /** the local SQLite queue: where events wait while Redis cannot be written (null for a tool process) */
    private final HookStore local;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisClusterClient clusterClient;
    private StatefulConnection<String, String> connection;
    private RedisClusterCommands<String, String> syncCommands;
    private RedisClusterAsyncCommands<String, String> asyncCommands;
    private long connectTriedAt;
    /** destinations this worker delivers now, with when it last renewed its claim (nanoTime) */
    private final Map<String, Long> owned = new HashMap<>();
    /** events are being written to the local queue until it is empty again (order) */
    private boolean aside;
    private long loggedAt;

    /**
     * @param consumer this process's name in the consumer groups and on its claims (unique per process)
     * @param local    the local queue, or null when this process only reads (tools)
     */
    RedisHookQueue(RedisSettings settings, String consumer, int pendingTimeoutSeconds, HookStore local) {
        this.url = settings.safeUrl();
        this.prefix = settings.prefix();
        this.consumer = consumer;
        this.leaseMs = pendingTimeoutSeconds * 1000L;
        this.local = local;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                // reconnect within 2 s of Redis coming back, not after Lettuce's default back-off of up to 30 s
                .reconnectDelay(io.lettuce.core.resource.Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        List<RedisURI> uris = settings.urls().stream().map(u -> {
            RedisURI uri = RedisURI.create(u);
            uri.setTimeout(COMMAND_TIMEOUT);
            return uri;
        }).toList();
        if (settings.isCluster()) {
            // each destination's stream, claim and try-state are single keys: any slot will do
            this.client = null;
            this.clusterClient = RedisClusterClient.create(resources, uris);
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    // Lettuce opens the connection to each cluster node on first use: commands must wait for it
                    // (bounded by the command timeout) rather than be rejected
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                    .build());
        } else {
            this.clusterClient = null;
            this.client = RedisClient.create(resources, uris.get(0));
            client.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    // fail at once while disconnected, so that events go to the local queue instead of waiting
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                    .build());
        }
        if (local != null) {
            try {
                // events written aside before this start (or queued before Redis was configured) go first
                aside = !local.isEmpty();
            } catch (Unavailable e) {
                aside = true;
            }
        }
    }

    @Override
    public String describe() {
        return "Redis " + url + " (keys " + prefix + "hooks:*)";
    }

    @Override
    public boolean ownsAllTargets() {
        return false; // another node's configuration may know a destination this one does not
    }

    private String stream(String target) {
        return prefix + "hooks:q:" + target;
    }

    private String lease(String target) {
        return prefix + "hooks:lease:" + target;
    }

    private String tries(String target) {
        return prefix + "hooks:try:" + target;
    }

    private String targetsKey() {
        return prefix + "hooks:targets";
    }

    private String deadKey() {
        return prefix + "hooks:dead";
    }

    // ---- the connection ---------------------------------------------------------------------------------------

    private StatefulConnection<String, String> connection() throws Unavailable {
        if (connection == null) {
            long now = System.nanoTime();
            if (connectTriedAt != 0 && now - connectTriedAt < 1_000_000_000L) {
                throw new Unavailable("Redis " + url + " is unreachable", null);
            }
            connectTriedAt = now;
            try {
                if (clusterClient != null) {
                    var c = clusterClient.connect();
                    syncCommands = c.sync();
                    asyncCommands = c.async();
                    connection = c;
                } else {
                    var c = client.connect();
                    syncCommands = c.sync();
                    asyncCommands = c.async();
                    connection = c;
                }
                log.info("hook queue: connected to Redis {}", url);
            } catch (RuntimeException e) {
                throw unavailable(e);
            }
        }
        return connection;
    }

    private RedisClusterCommands<String, String> sync() throws Unavailable {
        connection();
        return syncCommands;
    }

    private Unavailable unavailable(RuntimeException e) {
        return new Unavailable("Redis " + url + ": " + e.getMessage(), e);
    }

    /** Runs Redis commands; any Redis failure becomes {@link Unavailable}. */
    private interface Work<T> {
        T run(RedisClusterCommands<String, String> redis) throws Unavailable;
    }

    private <T> T redis(Work<T> work) throws Unavailable {
        RedisClusterCommands<String, String> redis = sync();
        try {
            return work.run(redis);
        } catch (RuntimeException e) {
            throw unavailable(e);
        }
    }

    /** Sends commands together (one round trip) and waits for every answer. */
    private void pipelined(java.util.function.Function<RedisClusterAsyncCommands<String, String>, List<RedisFuture<?>>> cmds)
            throws Unavailable {
        connection();
        RedisClusterAsyncCommands<String, String> async = asyncCommands;
        try {
            List<RedisFuture<?>> futures = cmds.apply(async);
            if (!LettuceFutures.awaitAll(COMMAND_TIMEOUT, futures.toArray(new RedisFuture<?>[0]))) {
                throw new Unavailable("Redis " + url + " did not answer within " + COMMAND_TIMEOUT, null);
            }
            for (RedisFuture<?> f : futures) {
                f.get(0, TimeUnit.MILLISECONDS);
            }
        } catch (RuntimeException e) {
            throw unavailable(e);
        } catch (ExecutionException e) {
            throw new Unavailable("Redis " + url + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new Unavailable("Redis " + url + " did not answer", e);
        }
    }

    // ---- queueing ---------------------------------------------------------------------------------------------

    private static Map<String, String> fields(Row r) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("id", r.id());
        f.put("app", r.appId());
        f.put("name", r.name());
        if (r.channel() != null) {
            f.put("channel", r.channel());
        }
        f.put("event", r.json());
        f.put("created", Long.toString(r.createdMs()));
        return f;
    }

    @Override
    public void insert(List<Row> rows) throws Unavailable {
        if (!aside) {
            try {
                add(rows);
                return;
            } catch (Unavailable e) {
                if (local == null) {
                    throw e;
                }
                aside = true;
                log.warn("hook queue: cannot write to {} ({}); hook events are written to {} until it is back, then "
                        + "moved there in order", url, e.getMessage(), local.describe());
            }
        }
        local.insert(rows);
    }

    private void add(List<Row> rows) throws Unavailable {
        Set<String> targets = new LinkedHashSet<>();
        for (Row r : rows) {
            targets.add(r.target());
        }
        pipelined(a -> {
            List<RedisFuture<?>> f = new ArrayList<>(rows.size() + 1);
            f.add(a.sadd(targetsKey(), targets.toArray(new String[0])));
            for (Row r : rows) {
                f.add(a.xadd(stream(r.target()), fields(r)));
            }
            return f;
        });
    }

    // ---- delivery ---------------------------------------------------------------------------------------------

    @Override
    public Set<String> targets() throws Unavailable {
        List<String> all = new ArrayList<>(redis(r -> r.smembers(targetsKey())));
        List<RedisFuture<Long>> lengths = new ArrayList<>(all.size());
        pipelined(a -> {
            for (String t : all) {
                lengths.add(a.xlen(stream(t)));
            }
            return new ArrayList<>(lengths);
        });
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < all.size(); i++) {
            if (lengths.get(i).toCompletableFuture().getNow(0L) > 0) {
                out.add(all.get(i));
            }
        }
        return out;
    }

    /** Takes the destination's claim if nobody holds it; true when this worker delivers it now. */
    private boolean claim(String target) throws Unavailable {
        if (owned.containsKey(target)) {
            return true;
        }
        String ok = redis(r -> r.set(lease(target), consumer, SetArgs.Builder.nx().px(leaseMs)));
        if (!"OK".equals(ok)) {
            return false;
        }
        owned.put(target, System.nanoTime());
        takeOver(target);
        return true;
    }

    /**
     * Makes this worker the owner of everything another worker read and did not acknowledge (it died, or lost its
     * claim): XAUTOCLAIM moves those entries to us, and we deliver them again before anything newer.
     */
    private void takeOver(String target) throws Unavailable {
        String key = stream(target);
        redis(r -> {
            try {
                r.xgroupCreate(StreamOffset.from(key, "0"), GROUP, XGroupCreateArgs.Builder.mkstream());
            } catch (RedisCommandExecutionException e) {
                if (!String.valueOf(e.getMessage()).startsWith("BUSYGROUP")) {
                    throw e;
                }
            }
            String cursor = "0-0";
            int claimed = 0;
            do {
                ClaimedMessages<String, String> c = r.xautoclaim(key, XAutoClaimArgs.Builder
                        .justid(Consumer.from(GROUP, consumer), Duration.ZERO, cursor).count(1000));
                claimed += c.getMessages().size();
                cursor = c.getId();
            } while (!"0-0".equals(cursor));
            if (claimed > 0) {
                log.info("hook queue: took over {} with {} events read but not acknowledged by another worker; "
                        + "delivering them again", target, claimed);
            }
            forgetIdleConsumers(r, key);
            return null;
        });
    }

    /** Removes consumers of dead workers (nothing pending any more) so that the group does not grow per restart. */
    private void forgetIdleConsumers(RedisClusterCommands<String, String> r, String key) {
        for (Object info : r.xinfoConsumers(key, GROUP)) {
            if (!(info instanceof List<?> fields)) {
                continue;
            }
            String name = null;
            long pending = -1;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                String field = String.valueOf(fields.get(i));
                if (field.equals("name")) {
                    name = String.valueOf(fields.get(i + 1));
                } else if (field.equals("pending")) {
                    pending = ((Number) fields.get(i + 1)).longValue();
                }
            }
            if (name != null && !name.equals(consumer) && pending == 0) {
                r.xgroupDelconsumer(key, Consumer.from(GROUP, name));
            }
        }
    }

    private void release(String target) {
        owned.remove(target);
        try {
            redis(r -> r.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {lease(target)}, consumer));
        } catch (Unavailable e) {
            // it lapses by itself after pending_timeout
        }
    }

    @Override
    public List<Queued> head(String target, int max) throws Unavailable {
        if (!claim(target)) {
            return List.of();
        }
        String key = stream(target);
        Consumer<String> me = Consumer.from(GROUP, consumer);
        List<StreamMessage<String, String>> read = redis(r -> {
            try {
                // what this worker read before (a failed attempt, or taken over) comes first
                List<StreamMessage<String, String>> m = r.xreadgroup(me, XReadArgs.Builder.count(max),
                        StreamOffset.from(key, "0"));
                return m.isEmpty() ? r.xreadgroup(me, XReadArgs.Builder.count(max), StreamOffset.lastConsumed(key))
                        : m;
            } catch (RedisCommandExecutionException e) {
                if (String.valueOf(e.getMessage()).startsWith("NOGROUP")) { // reset meanwhile
                    owned.remove(target);
                    return List.of();
                }
                throw e;
            }
        });
        List<String> gone = new ArrayList<>();
        List<StreamMessage<String, String>> entries = new ArrayList<>(read.size());
        for (StreamMessage<String, String> m : read) {
            if (m.getBody() == null || m.getBody().isEmpty()) {
                gone.add(m.getId()); // deleted while pending (by a reset): nothing to deliver
            } else {
                entries.add(m);
            }
        }
        if (!gone.isEmpty()) {
            redis(r -> r.xack(key, GROUP, gone.toArray(new String[0])));
        }
        if (entries.isEmpty()) {
            release(target);
            return List.of();
        }
        Map<String, String> state = redis(r -> r.hgetall(tries(target)));
        boolean same = entries.get(0).getId().equals(state.get("head"));
        int attempts = same ? Integer.parseInt(state.getOrDefault("attempts", "0")) : 0;
        long next = same ? Long.parseLong(state.getOrDefault("next", "0")) : 0;
        List<Queued> out = new ArrayList<>(entries.size());
        for (StreamMessage<String, String> m : entries) {
            Map<String, String> b = m.getBody();
            out.add(new Queued(m.getId(), b.get("id"), b.get("app"), b.get("name"), b.get("channel"), b.get("event"),
                    Long.parseLong(b.getOrDefault("created", "0")), attempts, next));
        }
        return out;
    }

    private static String[] refs(List<Queued> rows) {
        String[] ids = new String[rows.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rows.get(i).ref();
        }
        return ids;
    }

    @Override
    public void delivered(String target, List<Queued> rows) throws Unavailable {
        String key = stream(target);
        String[] ids = refs(rows);
        pipelined(a -> List.of(a.xack(key, GROUP, ids), a.xdel(key, ids), a.del(tries(target))));
    }

    @Override
    public void failed(String target, List<Queued> rows, int attempts, long nextAttemptMs, String error)
            throws Unavailable {
        Map<String, String> state = Map.of("head", rows.get(0).ref(), "attempts", Integer.toString(attempts),
                "next", Long.toString(nextAttemptMs), "error", error);
        redis(r -> r.hset(tries(target), state));
    }

    @Override
    public void deadLetter(String target, List<Queued> rows, int attempts, long nowMs, String error)
            throws Unavailable {
        String key = stream(target);
        String[] ids = refs(rows);
        pipelined(a -> {
            List<RedisFuture<?>> f = new ArrayList<>();
            for (Queued q : rows) {
                Map<String, String> d = new LinkedHashMap<>();
                d.put("id", q.id());
                d.put("target", target);
                d.put("app", q.appId());
                d.put("name", q.name());
                if (q.channel() != null) {
                    d.put("channel", q.channel());
                }
                d.put("event", q.json());
                d.put("created", Long.toString(q.createdMs()));
                d.put("attempts", Integer.toString(attempts));
                d.put("failed", Long.toString(nowMs));
                d.put("error", error);
                f.add(a.xadd(deadKey(), d));
            }
            f.add(a.xack(key, GROUP, ids));
            f.add(a.xdel(key, ids));
            return f;
        });
    }

    @Override
    public void maintain(boolean requeuer) {
        try {
            renew();
            if (local != null && (aside || requeuer)) {
                moveBack(requeuer);
            }
        } catch (Unavailable e) {
            long now = System.nanoTime();
            if (now - loggedAt > 10_000_000_000L) {
                loggedAt = now;
                log.warn("hook queue: {}", e.getMessage());
            }
        }
    }

    /** Renews this worker's claims a few times per pending_timeout; a claim found lost is dropped. */
    private void renew() throws Unavailable {
        long now = System.nanoTime();
        List<String> due = new ArrayList<>();
        owned.forEach((t, at) -> {
            if (now - at > leaseMs * 1_000_000L / 3) {
                due.add(t);
            }
        });
        for (String t : due) {
            Long ok = redis(r -> r.eval(RENEW, ScriptOutputType.INTEGER, new String[] {lease(t)}, consumer,
                    Long.toString(leaseMs)));
            if (ok != null && ok == 1) {
                owned.put(t, now);
            } else {
                owned.remove(t);
                log.warn("hook queue: lost the claim on {} (this worker was stalled for pending_timeout); another "
                        + "worker delivers it now", t);
            }
        }
    }

    /** Moves events written aside back to Redis, oldest first (the data_dir lock holder only). */
    private void moveBack(boolean requeuer) throws Unavailable {
        if (!requeuer) {
            aside = !local.isEmpty(); // the requeuer (another process on this data_dir) moved them
            return;
        }
        int moved = 0;
        for (int i = 0; i < REQUEUE_BATCHES_PER_ROUND; i++) {
            List<HookStore.Stored> batch = local.oldest(REQUEUE_BATCH);
            if (batch.isEmpty()) {
                break;
            }
            List<Row> rows = new ArrayList<>(batch.size());
            for (HookStore.Stored s : batch) {
                rows.add(s.row());
            }
            // a crash between the two steps delivers these twice (same ids), never loses them
            add(rows);
            local.remove(batch);
            moved += batch.size();
        }
        boolean empty = local.isEmpty();
        if (moved > 0) {
            log.info("hook queue: moved {} hook events written aside back to {}{}", moved, url,
                    empty ? "; writing to Redis again" : "");
        }
        aside = !empty;
    }

    // ---- status and tools --------------------------------------------------------------------------------------

    @Override
    public long waitingForRedis() throws Unavailable {
        return local == null || local.isEmpty() ? 0 : local.status().values().stream()
                .mapToLong(TargetStatus::queued).sum();
    }

    @Override
    public Map<String, TargetStatus> status() throws Unavailable {
        return redis(r -> {
            Map<String, TargetStatus> out = new TreeMap<>();
            for (String t : r.smembers(targetsKey())) {
                String key = stream(t);
                long queued = r.xlen(key);
                if (queued == 0) {
                    continue;
                }
                long pending;
                try {
                    pending = r.xpending(key, GROUP).getCount();
                } catch (RedisCommandExecutionException e) {
                    pending = 0; // no group yet: nobody has read it
                }
                List<StreamMessage<String, String>> first = r.xrange(key, Range.create("-", "+"), Limit.from(1));
                long oldest = first.isEmpty() ? 0 : Long.parseLong(first.get(0).getBody().getOrDefault("created",
                        "0"));
                Map<String, String> state = r.hgetall(tries(t));
                int attempts = Integer.parseInt(state.getOrDefault("attempts", "0"));
                long next = Long.parseLong(state.getOrDefault("next", "0"));
                out.put(t, new TargetStatus(t, queued, pending, attempts > 0 ? pending : 0, oldest, attempts, next,
                        r.get(lease(t))));
            }
            return new LinkedHashMap<>(out);
        });
    }

    @Override
    public long deadCount() throws Unavailable {
        return redis(r -> r.xlen(deadKey()));
    }

    @Override
    public List<DeadLetter> deadLetters(int limit) throws Unavailable {
        return redis(r -> {
            List<DeadLetter> out = new ArrayList<>();
            for (StreamMessage<String, String> m : r.xrevrange(deadKey(), Range.create("-", "+"),
                    Limit.from(limit))) {
                out.add(dead(m));
            }
            return out;
        });
    }

    private static DeadLetter dead(StreamMessage<String, String> m) {
        Map<String, String> b = m.getBody();
        return new DeadLetter(m.getId(), b.get("id"), b.get("target"), b.get("name"), b.get("channel"),
                b.get("event"), Long.parseLong(b.getOrDefault("created", "0")),
                Integer.parseInt(b.getOrDefault("attempts", "0")), Long.parseLong(b.getOrDefault("failed", "0")),
                b.get("error"));
    }

    @Override
    public int replay(String id, long nowMs) throws Unavailable {
        int replayed = 0;
        String from = "-";
        while (true) {
            String start = from;
            List<StreamMessage<String, String>> page = redis(r -> r.xrange(deadKey(), Range.create(start, "+"),
                    Limit.from(1000)));
            List<Row> rows = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (StreamMessage<String, String> m : page) {
                DeadLetter d = dead(m);
                if (id == null || id.equals(d.id())) {
                    // as new: the retry period starts again
                    rows.add(new Row(d.id(), d.target(), m.getBody().get("app"), d.name(), d.channel(), d.json(),
                            nowMs));
                    ids.add(m.getId());
                }
            }
            if (!rows.isEmpty()) {
                add(rows);
                redis(r -> r.xdel(deadKey(), ids.toArray(new String[0])));
                replayed += rows.size();
            }
            if (page.size() < 1000) {
                return replayed;
            }
            from = "(" + page.get(page.size() - 1).getId();
        }
    }

    @Override
    public int reset() throws Unavailable {
        int removed = redis(r -> {
            int n = 0;
            for (String t : r.smembers(targetsKey())) {
                n += r.xlen(stream(t)).intValue();
                r.del(stream(t), tries(t), lease(t));
            }
            n += r.xlen(deadKey()).intValue();
            r.del(deadKey(), targetsKey());
            return n;
        });
        owned.clear();
        return removed + (local == null ? 0 : local.reset());
    }

    @Override
    public void close() {
        for (String t : new ArrayList<>(owned.keySet())) {
            release(t); // the next worker need not wait for pending_timeout
        }
        if (connection != null) {
            connection.close();
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } else {
            clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        if (local != null) {
            local.close();
        }
    }
}
