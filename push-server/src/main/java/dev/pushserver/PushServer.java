package dev.pushserver;

import dev.pushserver.api.AdminHandler;
import dev.pushserver.api.ApiHandler;
import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.cluster.Broker;
import dev.pushserver.cluster.LocalBroker;
import dev.pushserver.cluster.RedisBroker;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.core.ClientDispatcher;
import dev.pushserver.core.PushCore;
import dev.pushserver.event.EventStream;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.store.MembershipStore;
import dev.pushserver.store.MemoryStore;
import dev.pushserver.store.RedisStore;
import dev.pushserver.redis.RedisLink;
import dev.pushserver.transport.ServerContext;
import dev.pushserver.transport.Transport;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the configuration into a running server (core + Netty transport); start and graceful stop. */
public final class PushServer implements ServerContext, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PushServer.class);

    private final ServerConfig config;
    private final Transport transport;
    private final PushCore core;
    private final dev.pushserver.console.Console console;
    private final PushMetrics metrics;
    private RedisLink redis;
    private volatile boolean stopping;
    private volatile boolean stopped;

    private PushServer(ServerConfig config, Function<EventStream, MembershipStore> stores) {
        this.config = config;
        AppRegistry apps = new AppRegistry(config.apps());
        this.metrics = new PushMetrics(apps, config.ops());
        this.transport = new Transport(config, metrics);
        Broker broker = new LocalBroker();
        if (stores == null) {
            if (config.redis().enabled()) {
                // a cluster node: state, messages between nodes (and hooks) in Redis
                this.redis = new RedisLink(config.redis());
                broker = new RedisBroker(redis, apps);
                stores = events -> new RedisStore(redis, events, apps);
                metrics.redis(redis);
                log.info("cluster: node {} (node_timeout {} s, Redis {})", config.redis().nodeId(),
                        config.redis().nodeTimeoutSeconds(), config.redis().safeUrl());
            } else {
                stores = MemoryStore::new;
            }
        }
        try {
            this.core = new PushCore(config, apps, transport.eventLoops(), transport.frameEncoder(), stores, broker,
                    metrics);
        } catch (RuntimeException e) {
            transport.shutdown(); // e.g. an unusable data_dir: nothing may keep running
            metrics.close();
            if (redis != null) {
                redis.close();
            }
            throw e;
        }
        this.console = dev.pushserver.console.Console.startIfEnabled(config, core);
    }

    /**
     * Binds the listeners and returns the running server: one node with in-memory state, or a cluster node when
     * {@code redis_url} is set.
     */
    public static PushServer start(ServerConfig config) throws InterruptedException {
        return start(config, null);
    }

    /** As {@link #start(ServerConfig)}, with the membership store that {@code stores} makes (null: by config). */
    public static PushServer start(ServerConfig config, Function<EventStream, MembershipStore> stores)
            throws InterruptedException {
        PushServer server = new PushServer(config, stores);
        try {
            server.transport.bind(server);
        } catch (RuntimeException | InterruptedException e) {
            server.core.close();
            server.transport.shutdown();
            server.metrics.close();
            if (server.redis != null) {
                server.redis.close();
            }
            throw e;
        }
        return server;
    }

    /** The WebSocket (and, unless api_port is set, HTTP API) port actually bound. */
    public int port() {
        return transport.port();
    }

    /** The I/O engine the event loops run on (io_uring, epoll or nio; see the transport key). */
    public String ioEngine() {
        return transport.engine();
    }

    /** The HTTP API port actually bound (the same as {@link #port()} unless api_port is set). */
    public int apiPort() {
        return transport.apiPort();
    }

    /** The port serving /metrics apart (metrics_port), or -1 when it is served on the main port or not at all. */
    public int metricsPort() {
        return transport.metricsPort();
    }

    /** This server's meters (its own registry). */
    public PushMetrics metrics() {
        return metrics;
    }

    /** TLS on the listeners (provider, current certificate), or null without tls_cert/tls_key. */
    public dev.pushserver.transport.Tls tls() {
        return transport.tls();
    }

    /** The core: its event stream, store and connections (for embedders and tests). */
    public PushCore core() {
        return core;
    }

    /**
     * Graceful stop: stop accepting, tell every client to reconnect elsewhere (pusher:error + close 4200), wait up to
     * {@code shutdown_grace_period} for them to go, then stop the event loops.
     */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopping = true;
        transport.closeListeners();
        int open = 0;
        for (App app : core.apps().all()) {
            for (Connection c : core.connections().all(app)) {
                open++;
                c.session().close(ErrorCodes.RECONNECT_IMMEDIATELY, "Server is shutting down; reconnect");
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.shutdownGraceSeconds());
        while (core.connections().count() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = core.connections().count();
        if (console != null) {
            console.close();
        }
        core.close();
        transport.shutdown();
        metrics.close();
        if (redis != null) {
            redis.close();
        }
        stopped = true;
        log.info("stopped: {} connections told to reconnect, {} still open at the deadline; {} slow consumers "
                + "closed while running", open, left, transport.slowConsumerCloses());
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public ServerConfig config() {
        return config;
    }

    @Override
    public AppRegistry apps() {
        return core.apps();
    }

    @Override
    public ClientDispatcher dispatcher() {
        return core.dispatcher();
    }

    @Override
    public ApiHandler api() {
        return core.api();
    }

    @Override
    public AdminHandler admin() {
        return core.admin();
    }

    @Override
    public dev.pushserver.console.Console console() {
        return console;
    }

    @Override
    public boolean isStopping() {
        return stopping;
    }

    @Override
    public String notReady() {
        if (stopping) {
            return "Server is shutting down";
        }
        return core.problem();
    }
}
