package dev.pushserver.bench.core;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Client event loops (native epoll when present) and outgoing connections spread over several loopback source
 * addresses, each letting {@code connect()} pick the port (IP_BIND_ADDRESS_NO_PORT), so one generator can open
 * more connections than one address has ephemeral ports.
 */
public final class Net implements AutoCloseable {

    private final EventLoopGroup group;
    private final boolean epoll;
    private final Class<? extends SocketChannel> channelClass;
    private final List<InetAddress> sources;
    private final AtomicInteger next = new AtomicInteger();
    private final Map<EventExecutor, LoopStats> stats = new IdentityHashMap<>();
    private final List<LoopStats> statsList = new ArrayList<>();

    public Net(int threads, List<InetAddress> sources, boolean allowEpoll) {
        this.epoll = allowEpoll && Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(Math.max(1, threads), io);
        this.channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        this.sources = sources;
        int i = 0;
        for (EventExecutor e : group) {
            LoopStats s = new LoopStats(i++);
            stats.put(e, s);
            statsList.add(s);
        }
    }

    public boolean epoll() {
        return epoll;
    }

    public EventLoopGroup group() {
        return group;
    }

    public List<LoopStats> loopStats() {
        return statsList;
    }

    public LoopStats statsOf(EventLoop loop) {
        return stats.get(loop);
    }

    public List<EventLoop> loops() {
        List<EventLoop> out = new ArrayList<>();
        for (EventExecutor e : group) {
            out.add((EventLoop) e);
        }
        return out;
    }

    public ChannelFuture connect(String host, int port, ChannelHandler init) {
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(init);
        InetSocketAddress remote = new InetSocketAddress(host, port);
        if (!sources.isEmpty()) {
            if (epoll) {
                b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
            }
            InetAddress src = sources.get(Math.floorMod(next.getAndIncrement(), sources.size()));
            return b.connect(remote, new InetSocketAddress(src, 0));
        }
        return b.connect(remote);
    }

    /** Parses {@code 127.0.0.1-127.0.0.8,127.0.1.1} style lists; empty or "none" means the kernel's choice. */
    public static List<InetAddress> parseSources(String spec) {
        List<InetAddress> out = new ArrayList<>();
        if (spec == null || spec.isBlank() || spec.equals("none")) {
            return out;
        }
        try {
            for (String part : spec.split(",")) {
                part = part.trim();
                int dash = part.indexOf('-');
                if (dash < 0) {
                    out.add(InetAddress.getByName(part));
                    continue;
                }
                byte[] a = InetAddress.getByName(part.substring(0, dash)).getAddress();
                byte[] z = InetAddress.getByName(part.substring(dash + 1)).getAddress();
                long from = toLong(a);
                long to = toLong(z);
                if (to < from || to - from > 1024) {
                    throw new IllegalArgumentException("bad source address range " + part);
                }
                for (long v = from; v <= to; v++) {
                    out.add(InetAddress.getByAddress(new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8),
                            (byte) v}));
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad source address list: " + spec, e);
        }
        return out;
    }

    private static long toLong(byte[] a) {
        return ((a[0] & 0xFFL) << 24) | ((a[1] & 0xFFL) << 16) | ((a[2] & 0xFFL) << 8) | (a[3] & 0xFFL);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
