package dev.pushserver.transport;

import dev.pushserver.config.ServerConfig;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.session.Frame;
import dev.pushserver.session.Guarded;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Netty bootstrap: event loops (on the I/O engine of {@code transport}), listeners and the per-connection pipeline. */
public final class Transport {

    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    private final ServerConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Class<? extends ServerChannel> channelClass;
    private final Loops loops;
    private final Liveness liveness;
    private final ConnectionGuard guard;
    private final HttpTimeouts.Sweeper httpDeadlines;
    private final RequestGate.Bodies bodies;
    private final PushMetrics metrics;
    private final Tls tls;
    private Channel main;
    private Channel api;
    private Channel metricsListener;
    private final String engine;
    /** one for every connection: both are immutable and Netty makes one of each per channel otherwise */
    private final WebSocketDecoderConfig decoderConfig;
    private final AdaptiveRecvByteBufAllocator receiveSizes = new AdaptiveRecvByteBufAllocator();

    public Transport(ServerConfig config, PushMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        MetricsRoute.nettyMemory(metrics.registry(), PooledByteBufAllocator.DEFAULT);
        this.tls = Tls.start(config.ops(), config.network().httpHeaderTimeoutSeconds()); // before any thread starts
        IoTransport engine = IoTransport.choose(config.ops().transport());
        IoHandlerFactory io = engine.handlers();
        int threads = config.eventLoopThreads() > 0 ? config.eventLoopThreads()
                : Runtime.getRuntime().availableProcessors();
        this.boss = new MultiThreadIoEventLoopGroup(1, io);
        this.workers = new MultiThreadIoEventLoopGroup(threads, io);
        this.channelClass = engine.serverChannel();
        this.engine = engine.name();
        this.loops = new Loops(workers);
        this.liveness = new Liveness(loops, config.activityTimeoutSeconds(), config.pongTimeoutSeconds());
        this.guard = new ConnectionGuard(config.network(), metrics);
        this.httpDeadlines = new HttpTimeouts.Sweeper(loops);
        this.bodies = new RequestGate.Bodies(config.network().maxConcurrentRequestBodies());
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(config.maxFrameSize())
                .allowExtensions(false)
                .closeOnProtocolViolation(false) // we send the Pusher error and close ourselves
                .build();
        log.info("transport: {} with {} event loops", engine.name(), threads);
    }

    /** The I/O engine in use: io_uring, epoll or nio. */
    public String engine() {
        return engine;
    }

    /** The event loops that serve connections, in the order of their index. */
    public List<EventLoop> eventLoops() {
        return loops.all();
    }

    /** Encodes messages into WebSocket frames for fan-out. */
    public Frame.Encoder frameEncoder() {
        return NettyFrame.encoder(PooledByteBufAllocator.DEFAULT);
    }

    /** Connections closed so far because they did not read fast enough. */
    public long slowConsumerCloses() {
        return metrics.slowConsumerCloses();
    }

    PushMetrics metrics() {
        return metrics;
    }

    Loops loops() {
        return loops;
    }

    WebSocketDecoderConfig decoderConfig() {
        return decoderConfig;
    }

    Liveness liveness() {
        return liveness;
    }

    ConnectionGuard guard() {
        return guard;
    }

    /** Binds the listeners and starts the liveness sweeps. */
    public void bind(ServerContext server) throws InterruptedException {
        boolean split = config.separateApiPort();
        main = listen(server, config.port(), true, !split);
        if (split) {
            api = listen(server, config.apiPort(), false, true);
        }
        if (config.ops().separateMetricsPort()) {
            metricsListener = listen(server, config.ops().metricsPort(), false, false);
        }
        liveness.start();
        httpDeadlines.start();
        loops.get(0).scheduleAtFixedRate(Guarded.task("connection guard sweep", guard::sweep), 5, 5,
                TimeUnit.SECONDS);
        log.info("accepting at most {} connections (max_connections{})", guard.maxConnections(),
                config.network().maxConnections() > 0 ? "" : ": the open-file limit minus a spare");
        if (config.ops().metricsEnabled()) {
            log.info("metrics: GET /metrics on port {}{}", metricsListener != null ? metricsPort() : port(),
                    config.ops().metricsToken() != null ? " (with its bearer token)" : "");
        }
    }

    /** Connections closed at accept (server full, or an address over its rate). */
    public long refusedConnections() {
        return guard.refused();
    }

    private Channel listen(ServerContext server, int port, boolean webSockets, boolean httpApi)
            throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 4096)
                // No TCP_NODELAY child option: the accepted channels of all three engines turn it on in their config's
                // constructor (Epoll/IoUringSocketChannelConfig, NIO's DefaultSocketChannelConfig, whenever
                // PlatformDependent.canEnableTcpNoDelayByDefault(), i.e. not on Android); asking again costs one
                // more setsockopt per accepted connection.
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, receiveSizes)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(config.maxOutboundBuffer() / 2, config.maxOutboundBuffer()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!guard.admit(ch)) {
                            return;
                        }
                        boolean metricsOnly = !webSockets && !httpApi;
                        // first, and with the request-head timeout for its handshake; metrics_port stays plain HTTP
                        if (tls != null && !metricsOnly) {
                            ch.pipeline().addLast(Tls.HANDLER, tls.newHandler(ch.alloc()))
                                    .addLast(Tls.BEHIND, TlsFailures.INSTANCE);
                        }
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec(4096, 16 * 1024, 16 * 1024))
                                .addLast("timeouts", new HttpTimeouts(config.network(), httpDeadlines))
                                .addLast("gate", new RequestGate(server, bodies, httpApi))
                                .addLast("aggregator", new JsonBodyAggregator(config.maxRequestBodySize()))
                                .addLast("router", new HttpRouter(server, Transport.this, webSockets, httpApi,
                                        metricsOnly));
                    }
                });
        try {
            return b.bind(config.host(), port).sync().channel();
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + port + ": " + e.getMessage()
                    + " (is another server using the port? set --port or PUSH_PORT)", e);
        }
    }

    /** TLS on every listener (null without tls_cert/tls_key): its provider and current certificate. */
    public Tls tls() {
        return tls;
    }

    public int port() {
        return ((InetSocketAddress) main.localAddress()).getPort();
    }

    /** The port of the metrics listener (metrics_port), or -1 when /metrics is not served apart. */
    public int metricsPort() {
        return metricsListener != null ? ((InetSocketAddress) metricsListener.localAddress()).getPort() : -1;
    }

    public int apiPort() {
        return api != null ? ((InetSocketAddress) api.localAddress()).getPort() : port();
    }

    public void closeListeners() {
        if (main != null) {
            main.close().awaitUninterruptibly();
        }
        if (api != null) {
            api.close().awaitUninterruptibly();
        }
        if (metricsListener != null) {
            metricsListener.close().awaitUninterruptibly();
        }
    }

    public void shutdown() {
        if (tls != null) {
            tls.close();
        }
        liveness.stop();
        httpDeadlines.stop();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
