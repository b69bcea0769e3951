package dev.pushserver.redis;

import dev.pushserver.config.RedisSettings;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's connections to the deployment's Redis (one server or a Redis Cluster, through Lettuce's matching client):
 * one for state (Lua scripts), one for publishing and one for pub/sub. Commands fail at once while Redis is
 * unreachable instead of queueing, so a node keeps serving its own clients; {@link #connect} is retried by the
 * owner until it succeeds, and Lettuce reconnects established connections by itself.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisLink.class);

    /** A command that has not answered in this long fails, and Redis counts as unreachable. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);

    private final RedisSettings settings;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisClusterClient clusterClient;
    private volatile RedisClusterAsyncCommands<String, String> state;
    private volatile RedisClusterAsyncCommands<byte[], byte[]> publish;
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> pubsub;
    private volatile boolean sharded;
    private volatile String lastError;
    private volatile boolean up;
    private final List<Runnable> recovered = new CopyOnWriteArrayList<>();
    private final List<StatefulConnection<?, ?>> open = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<StatefulRedisPubSubConnection<byte[], byte[]>>> onPubSub =
            new CopyOnWriteArrayList<>();

    public RedisLink(RedisSettings settings) {
        this.settings = settings;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                // reconnect within 2 s of Redis coming back, not after Lettuce's default back-off of up to 30 s
                .reconnectDelay(io.lettuce.core.resource.Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(COMMAND_TIMEOUT);
        if (settings.isCluster()) {
            List<RedisURI> uris = settings.urls().stream().map(RedisLink::uri).toList();
            this.client = null;
            this.clusterClient = RedisClusterClient.create(resources, uris);
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    // Lettuce opens the connection to each cluster node on first use: commands must wait for it
                    // (bounded by the command timeout) rather than be rejected
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .timeoutOptions(timeouts)
                    .build());
        } else {
            this.clusterClient = null;
            this.client = RedisClient.create(resources, uri(settings.urls().get(0)));
            client.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(timeouts)
                    .build());
        }
    }

    private static RedisURI uri(String url) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(COMMAND_TIMEOUT);
        return uri;
    }

    public RedisSettings settings() {
        return settings;
    }

    /** Keys of one app share its hash tag, so that its scripts run on one Redis Cluster slot. */
    public String appKey(String appId, String suffix) {
        return settings.prefix() + "{" + appId + "}:" + suffix;
    }

    /** A key of the deployment as a whole (nodes, reaping claims). */
    public String key(String suffix) {
        return settings.prefix() + suffix;
    }

    /** Called with the pub/sub connection once it exists (at once when it already does). */
    public void onPubSub(java.util.function.Consumer<StatefulRedisPubSubConnection<byte[], byte[]>> listener) {
        onPubSub.add(listener);
        StatefulRedisPubSubConnection<byte[], byte[]> c = pubsub;
        if (c != null) {
            listener.accept(c);
        }
    }

    /** Connects if not yet connected; false (after logging why) when Redis cannot be reached now. */
    public synchronized boolean connect() {
        if (state != null) {
            return true;
        }
        try {
            StatefulRedisPubSubConnection<byte[], byte[]> ps;
            if (clusterClient != null) {
                var s = clusterClient.connect(StringCodec.UTF8);
                open.add(s);
                var p = clusterClient.connect(ByteArrayCodec.INSTANCE);
                open.add(p);
                ps = clusterClient.connectPubSub(ByteArrayCodec.INSTANCE);
                open.add(ps);
                publish = p.async();
                state = s.async();
            } else {
                var s = client.connect(StringCodec.UTF8);
                open.add(s);
                var p = client.connect(ByteArrayCodec.INSTANCE);
                open.add(p);
                ps = client.connectPubSub(ByteArrayCodec.INSTANCE);
                open.add(ps);
                publish = p.async();
                state = s.async();
            }
            sharded = serverMajorVersion() >= 7;
            pubsub = ps;
            log.info("cluster: connected to Redis {} ({}{} pub/sub)", settings.safeUrl(),
                    clusterClient != null ? "Redis Cluster, " : "", sharded ? "sharded" : "classic");
            for (var l : onPubSub) {
                l.accept(ps);
            }
            return true;
        } catch (RuntimeException e) {
            for (StatefulConnection<?, ?> c : open) {
                c.closeAsync();
            }
            open.clear();
            state = null;
            publish = null;
            lastError = e.getMessage() != null ? e.getMessage() : e.toString();
            return false;
        }
    }

    private int serverMajorVersion() {
        try {
            String info = state.info("server").get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            for (String line : info.split("\r?\n")) {
                if (line.startsWith("redis_version:")) {
                    return Integer.parseInt(line.substring("redis_version:".length()).split("\\.")[0].trim());
                }
            }
        } catch (Exception e) {
            log.debug("cannot read the Redis version: {}", e.toString());
        }
        return 0;
    }

    /** The pub/sub connection, or null before the first successful {@link #connect}. */
    public StatefulRedisPubSubConnection<byte[], byte[]> pubsub() {
        return pubsub;
    }

    /** Called each time Redis answers again after it was found unreachable ({@link #reachable}). */
    public void onRecovered(Runnable listener) {
        recovered.add(listener);
    }

    /**
     * What the owner's periodic check found; on the change from unreachable to reachable the
     * {@link #onRecovered} listeners run (on the caller's thread).
     */
    public void reachable(boolean now) {
        boolean was = up;
        up = now;
        if (now && !was) {
            for (Runnable r : recovered) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.warn("after Redis came back: {}", e.toString(), e);
                }
            }
        }
    }

    /** Connected, and the last periodic check got an answer. */
    public boolean isUp() {
        return up && state != null;
    }

    /** Why the last {@link #connect} failed. */
    public String lastError() {
        return lastError;
    }

    public boolean isConnected() {
        return state != null;
    }

    /** Sharded pub/sub (Redis 7+): a message goes only to the shard that owns its channel. */
    public boolean sharded() {
        return sharded;
    }

    /** The state connection; throws {@link IllegalStateException} before the first successful {@link #connect}. */
    public RedisClusterAsyncCommands<String, String> state() {
        RedisClusterAsyncCommands<String, String> s = state;
        if (s == null) {
            throw new IllegalStateException("Redis " + settings.safeUrl() + " is not connected");
        }
        return s;
    }

    /** The publishing connection, or null before the first successful {@link #connect}. */
    public RedisClusterAsyncCommands<byte[], byte[]> publisher() {
        return publish;
    }

    /** Runs a Lua script by its SHA1, sending its body only when this Redis does not know it yet. */
    public <T> CompletionStage<T> run(Script script, ScriptOutputType type, String[] keys, String... args) {
        RedisClusterAsyncCommands<String, String> s;
        try {
            s = state();
        } catch (IllegalStateException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<T> out = new CompletableFuture<>();
        s.<T>evalsha(script.sha(), type, keys, args).whenComplete((v, failure) -> {
            if (failure == null) {
                out.complete(v);
            } else if (String.valueOf(failure.getMessage()).contains("NOSCRIPT")) {
                s.<T>eval(script.body(), type, keys, args).whenComplete((v2, f2) -> {
                    if (f2 == null) {
                        out.complete(v2);
                    } else {
                        out.completeExceptionally(f2);
                    }
                });
            } else {
                out.completeExceptionally(failure);
            }
        });
        return out;
    }

    @Override
    public void close() {
        for (StatefulConnection<?, ?> c : open) {
            try {
                c.close();
            } catch (RuntimeException e) {
                log.debug("closing a Redis connection: {}", e.toString());
            }
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } else {
            clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
