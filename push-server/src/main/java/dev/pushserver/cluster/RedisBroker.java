package dev.pushserver.cluster;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.fanout.Publication;
import dev.pushserver.redis.RedisLink;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.pubsub.api.async.RedisPubSubAsyncCommands;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker of a cluster node: Redis pub/sub, one Redis channel per Pusher channel
 * ({@code <prefix>p:{<app>:<channel>}}), subscribed only while this node has a local subscriber of it, so traffic
 * follows interest. On Redis 7+ it uses sharded pub/sub (SSUBSCRIBE / SPUBLISH): in a Redis Cluster a message then
 * travels only within the shard that owns its channel. Notices for all nodes (terminate, online, offline) use one
 * classic channel, {@code <prefix>nodes}. A node ignores what it published itself (it has delivered it already).
 * Messages from one node to one channel keep their order (one publishing connection, one channel, one shard).
 * Delivery is at most once: what is published while Redis is unreachable reaches only this node's subscribers.
 */
public final class RedisBroker implements Broker {

    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);
    private static final byte PUBLICATION = 'P';
    private static final byte NOTICE = 'N';

    private final RedisLink link;
    private final AppRegistry apps;
    private final byte[] nodeId;
    private final String noticeChannel;
    /** Redis channel name -> this node's interest in it */
    private final Map<String, Interest> interests = new ConcurrentHashMap<>();
    private volatile Consumer<Publication> local;
    private volatile Consumer<NodeMessage> notices;
    private volatile long publishFailedLogAt;

    private static final class Interest {
        final byte[] key;
        int count; // guarded by this
        boolean removed; // guarded by this
        CompletableFuture<Void> listening = new CompletableFuture<>();

        Interest(byte[] key) {
            this.key = key;
        }
    }

    public RedisBroker(RedisLink link, AppRegistry apps) {
        this.link = link;
        this.apps = apps;
        this.nodeId = link.settings().nodeId().getBytes(StandardCharsets.UTF_8);
        this.noticeChannel = link.key("nodes");
    }

    private String channelKey(App app, String channel) {
        return link.settings().prefix() + "p:{" + app.id() + ":" + channel + "}";
    }

    @Override
    public void start(Consumer<Publication> local, Consumer<NodeMessage> notices) {
        this.local = local;
        this.notices = notices;
        link.onPubSub(this::attach);
        link.onRecovered(this::resubscribe);
    }

    /** A new pub/sub connection: listen, and (re)subscribe to what this node is interested in. */
    private void attach(StatefulRedisPubSubConnection<byte[], byte[]> connection) {
        connection.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] channel, byte[] message) {
                received(message);
            }

            @Override
            public void smessage(byte[] channel, byte[] message) {
                received(message);
            }
        });
        resubscribe();
    }

    /** Subscribes again to every channel this node has subscribers for (after Redis came back). */
    public void resubscribe() {
        RedisPubSubAsyncCommands<byte[], byte[]> ps = commands();
        if (ps == null) {
            return;
        }
        ps.subscribe(noticeChannel.getBytes(StandardCharsets.UTF_8));
        for (Interest i : interests.values()) {
            synchronized (i) {
                if (i.count > 0) {
                    CompletableFuture<Void> f = subscribe(ps, i.key);
                    if (i.listening.isDone()) {
                        i.listening = f;
                    } else {
                        CompletableFuture<Void> pending = i.listening;
                        f.whenComplete((v, e) -> complete(pending, e));
                    }
                }
            }
        }
    }

    private RedisPubSubAsyncCommands<byte[], byte[]> commands() {
        if (!link.isConnected()) {
            return null;
        }
        try {
            return pubsub().async();
        } catch (IllegalStateException e) {
            return null;
        }
    }

    private StatefulRedisPubSubConnection<byte[], byte[]> pubsub() {
        StatefulRedisPubSubConnection<byte[], byte[]> c = link.pubsub();
        if (c == null) {
            throw new IllegalStateException("not connected");
        }
        return c;
    }

    private CompletableFuture<Void> subscribe(RedisPubSubAsyncCommands<byte[], byte[]> ps, byte[] key) {
        RedisFuture<Void> f = link.sharded() ? ps.ssubscribe(key) : ps.subscribe(key);
        return f.toCompletableFuture();
    }

    private static void complete(CompletableFuture<Void> f, Throwable failure) {
        if (failure == null) {
            f.complete(null);
        } else {
            f.completeExceptionally(failure);
        }
    }

    @Override
    public void firstSubscriber(App app, String channel) {
        String name = channelKey(app, channel);
        while (true) {
            Interest i = interests.computeIfAbsent(name, n -> new Interest(n.getBytes(StandardCharsets.UTF_8)));
            synchronized (i) {
                if (i.removed) {
                    continue; // lost a race with the last unsubscribe; take a fresh one
                }
                if (i.count++ == 0) {
                    subscribeNow(i);
                }
                return;
            }
        }
    }

    /** Under the interest's lock. */
    private void subscribeNow(Interest i) {
        RedisPubSubAsyncCommands<byte[], byte[]> ps = commands();
        if (ps == null) {
            i.listening = CompletableFuture.failedFuture(new IllegalStateException("Redis is unreachable"));
            return; // subscribed by resubscribe() once Redis is back
        }
        try {
            i.listening = subscribe(ps, i.key);
        } catch (RuntimeException e) {
            i.listening = CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void lastSubscriber(App app, String channel) {
        Interest i = interests.get(channelKey(app, channel));
        if (i == null) {
            return;
        }
        synchronized (i) {
            if (--i.count > 0) {
                return;
            }
            RedisPubSubAsyncCommands<byte[], byte[]> ps = commands();
            if (ps != null) {
                try {
                    if (link.sharded()) {
                        ps.sunsubscribe(i.key);
                    } else {
                        ps.unsubscribe(i.key);
                    }
                } catch (RuntimeException e) {
                    log.debug("unsubscribe failed: {}", e.toString());
                }
            }
            i.removed = true;
            interests.remove(channelKey(app, channel), i);
        }
    }

    @Override
    public CompletionStage<Void> listening(App app, String channel) {
        Interest i = interests.get(channelKey(app, channel));
        if (i == null) {
            return LISTENING;
        }
        synchronized (i) {
            return i.listening;
        }
    }

    // ---- out --------------------------------------------------------------------------------------------------

    @Override
    public void publish(Publication p) {
        byte[] appId = p.app().id().getBytes(StandardCharsets.UTF_8);
        byte[] channel = p.channel().getBytes(StandardCharsets.UTF_8);
        byte[] exclude = p.excludeSocketId() == null ? new byte[0]
                : p.excludeSocketId().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 6 + nodeId.length + appId.length + channel.length + 2 + exclude.length
                + 8 + p.message().length);
        b.put(PUBLICATION);
        putShort(b, nodeId);
        putShort(b, appId);
        putShort(b, channel);
        putShort(b, exclude);
        b.putLong(p.version());
        b.put(p.message());
        send(channelKey(p.app(), p.channel()).getBytes(StandardCharsets.UTF_8), b.array(), true);
    }

    @Override
    public void broadcast(NodeMessage m) {
        byte[] appId = m.app().id().getBytes(StandardCharsets.UTF_8);
        byte[] user = m.userId().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 6 + nodeId.length + appId.length + user.length + 1);
        b.put(NOTICE);
        putShort(b, nodeId);
        putShort(b, appId);
        b.put((byte) m.kind().ordinal());
        putShort(b, user);
        send(noticeChannel.getBytes(StandardCharsets.UTF_8), b.array(), false);
    }

    private void send(byte[] channel, byte[] message, boolean shardable) {
        var pub = link.publisher();
        if (pub == null) {
            publishFailed("Redis is unreachable");
            return;
        }
        try {
            RedisFuture<Long> f = shardable && link.sharded() ? pub.spublish(channel, message)
                    : pub.publish(channel, message);
            f.exceptionally(e -> {
                publishFailed(e.toString());
                return null;
            });
        } catch (RuntimeException e) {
            publishFailed(e.toString());
        }
    }

    private void publishFailed(String why) {
        long now = System.currentTimeMillis();
        if (now - publishFailedLogAt > 10_000) {
            publishFailedLogAt = now;
            log.warn("cluster: a message could not be sent to the other nodes ({}); they miss messages published "
                    + "here until Redis answers again", why);
        }
    }

    private static void putShort(ByteBuffer b, byte[] bytes) {
        b.putShort((short) bytes.length);
        b.put(bytes);
    }

    private static byte[] getShort(ByteBuffer b) {
        byte[] out = new byte[b.getShort() & 0xFFFF];
        b.get(out);
        return out;
    }

    // ---- in ---------------------------------------------------------------------------------------------------

    private void received(byte[] message) {
        try {
            ByteBuffer b = ByteBuffer.wrap(message);
            byte kind = b.get();
            byte[] from = getShort(b);
            if (java.util.Arrays.equals(from, nodeId)) {
                return; // delivered locally when it was published
            }
            App app = apps.byId(new String(getShort(b), StandardCharsets.UTF_8));
            if (app == null) {
                return; // an app this node does not know (configurations differ): nobody here can subscribe to it
            }
            if (kind == PUBLICATION) {
                String channel = new String(getShort(b), StandardCharsets.UTF_8);
                byte[] exclude = getShort(b);
                long version = b.getLong();
                byte[] payload = new byte[b.remaining()];
                b.get(payload);
                Consumer<Publication> to = local;
                if (to != null) {
                    to.accept(new Publication(app, channel, payload,
                            exclude.length == 0 ? null : new String(exclude, StandardCharsets.UTF_8), version));
                }
            } else if (kind == NOTICE) {
                NodeMessage.Kind k = NodeMessage.Kind.values()[b.get()];
                String user = new String(getShort(b), StandardCharsets.UTF_8);
                Consumer<NodeMessage> to = notices;
                if (to != null) {
                    to.accept(new NodeMessage(app, k, user));
                }
            }
        } catch (RuntimeException e) {
            log.warn("cluster: dropped a malformed message from Redis pub/sub: {}", e.toString());
        }
    }

    @Override
    public String problem() {
        return link.isConnected() ? null : "Redis " + link.settings().safeUrl() + " is unreachable";
    }

    /** Subscriptions this node holds in Redis (for tests and status). */
    public List<String> interests() {
        return new ArrayList<>(interests.keySet());
    }

    @Override
    public void close() {
        // the link is closed by its owner
    }
}
