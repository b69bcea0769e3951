package dev.pushserver.transport;

import dev.pushserver.config.ServerConfig;
import dev.pushserver.metrics.Limit;
import dev.pushserver.metrics.PushMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts TCP connections as they are accepted, before a byte is read: in all (so that file descriptors remain for
 * the API, /health and the log), per client address, and new ones per address per second. A connection over the
 * address's rate is closed at once; one over the address's total is let through far enough to be told so (4100
 * after a WebSocket upgrade, 429 for an HTTP request), see {@link #OVER_QUOTA}. When the server is full, the
 * connection that has been waiting longest without a request in progress (idle sockets, slow request heads,
 * idle keep-alive connections: nothing a client is owed) makes room for the new one, so that idle sockets from many
 * addresses cannot lock real clients out; only when there is no such connection is the new one closed.
 */
final class ConnectionGuard {

    private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);

    /** Set on a connection beyond its address's {@code max_connections_per_ip}. */
    static final AttributeKey<Boolean> OVER_QUOTA = AttributeKey.valueOf("push-over-ip-quota");
    /** Every HTTP connection's waiting state, until it becomes a WebSocket. */
    static final AttributeKey<Waiting> WAITING = AttributeKey.valueOf("push-waiting");

    private final int maxConnections;
    private final int perIp;
    private final int perIpPerSecond;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<InetAddress, Address> addresses = new ConcurrentHashMap<>();
    private final Set<Waiting> waiting = ConcurrentHashMap.newKeySet();
    private final LongAdder refused = new LongAdder();
    private final LongAdder evicted = new LongAdder();
    private volatile long loggedAt;
    private final PushMetrics metrics;

    ConnectionGuard(ServerConfig.NetworkLimits limits, PushMetrics metrics) {
        this.metrics = metrics;
        this.maxConnections = limits.maxConnections() > 0 ? limits.maxConnections() : automaticMax();
        this.perIp = limits.maxConnectionsPerIp();
        this.perIpPerSecond = limits.maxNewConnectionsPerIpPerSecond();
    }

    /**
     * The open-file limit minus a spare of 2 % (at least 64) for listeners, the log, epoll and the like; 1 << 20 when
     * the limit cannot be read.
     */
    static int automaticMax() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            long files = unix.getMaxFileDescriptorCount();
            long spare = Math.max(64, files / 50);
            return (int) Math.max(16, Math.min(Integer.MAX_VALUE, files - spare));
        }
        return 1 << 20;
    }

    int maxConnections() {
        return maxConnections;
    }

    /** Connections closed at accept so far. */
    long refused() {
        return refused.sum();
    }

    /** Admits or closes a just-accepted connection; on its event loop, before any handler runs. */
    boolean admit(Channel ch) {
        InetAddress ip = ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        if (open.incrementAndGet() > maxConnections && !evictIdle()) {
            open.decrementAndGet();
            metrics.serverLimited(Limit.MAX_CONNECTIONS);
            return refuse(ch, "the server is at max_connections (" + maxConnections + ") and none is idle");
        }
        Address address = ip == null ? null : addresses.computeIfAbsent(ip, k -> new Address());
        if (address != null && !address.admit(System.nanoTime(), perIpPerSecond)) {
            open.decrementAndGet();
            metrics.serverLimited(Limit.MAX_NEW_CONNECTIONS_PER_IP_PER_SECOND);
            return refuse(ch, "over max_new_connections_per_ip_per_second (" + perIpPerSecond + ") from "
                    + ip.getHostAddress());
        }
        int fromIp = address == null ? 0 : address.open.incrementAndGet();
        if (perIp > 0 && fromIp > perIp) {
            ch.attr(OVER_QUOTA).set(Boolean.TRUE);
            metrics.serverLimited(Limit.MAX_CONNECTIONS_PER_IP);
        }
        Waiting w = new Waiting(ch, address);
        ch.attr(WAITING).set(w);
        waiting.add(w);
        ch.closeFuture().addListener(w);
        return true;
    }

    /** Closes the connection idle the longest; false when none is idle. */
    private boolean evictIdle() {
        Waiting oldest = null;
        for (Waiting w : waiting) {
            long since = w.idleSince;
            if (since != 0 && (oldest == null || since - oldest.idleSince < 0)) {
                oldest = w;
            }
        }
        if (oldest == null || !waiting.remove(oldest)) {
            return false;
        }
        oldest.idleSince = 0;
        evicted.increment();
        oldest.channel.close();
        return true;
    }

    /** Idle connections closed to make room so far. */
    long evicted() {
        return evicted.sum();
    }

    /**
     * Whether an HTTP connection is waiting for its client (for a request head, or idle between requests) and since
     * when; 0 while a request is in progress. Written on the connection's loop, read by whichever loop accepts.
     * It is also the close listener that gives the connection's place back (one object per connection, not two).
     */
    final class Waiting implements ChannelFutureListener {
        final Channel channel;
        private final Address address;
        volatile long idleSince;

        Waiting(Channel channel, Address address) {
            this.channel = channel;
            this.address = address;
            this.idleSince = System.nanoTime();
        }

        @Override
        public void operationComplete(ChannelFuture closed) {
            open.decrementAndGet();
            waiting.remove(this);
            if (address != null) {
                address.open.decrementAndGet();
            }
        }
    }

    /** Over max_connections_per_ip: answered with an error once its first request arrives. */
    static boolean overQuota(Channel ch) {
        return ch.hasAttr(OVER_QUOTA) && Boolean.TRUE.equals(ch.attr(OVER_QUOTA).get()); // attr() alone adds one
    }

    /** The connection became a WebSocket: it is no longer a candidate for eviction. */
    @SuppressWarnings("deprecation") // getAndRemove: the only way to drop the entry (no attribute kept per socket)
    void trusted(Channel ch) {
        Waiting w = ch.attr(WAITING).getAndRemove();
        if (w != null) {
            waiting.remove(w);
        }
    }

    private boolean refuse(Channel ch, String why) {
        refused.increment();
        long now = System.nanoTime();
        if (now - loggedAt > 1_000_000_000L) {
            loggedAt = now;
            log.warn("refusing new connections: {} ({} refused so far)", why, refused.sum());
        }
        ch.close();
        return false;
    }

    /** Forgets addresses with no open connection and no recent new one; called periodically. */
    void sweep() {
        long now = System.nanoTime();
        addresses.values().removeIf(a -> a.idle(now));
    }

    /** One client address: its open connections and its new ones in the current second. */
    private static final class Address {
        final AtomicInteger open = new AtomicInteger();
        private long windowStart;
        private int windowCount;

        synchronized boolean admit(long now, int perSecond) {
            if (now - windowStart >= 1_000_000_000L) {
                windowStart = now;
                windowCount = 0;
            }
            return perSecond <= 0 || ++windowCount <= perSecond;
        }

        synchronized boolean idle(long now) {
            return open.get() == 0 && now - windowStart >= 2_000_000_000L;
        }
    }
}
