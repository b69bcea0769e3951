package dev.pushserver;

import dev.pushserver.api.ApiHandler;
import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.channel.ChannelService;
import dev.pushserver.cluster.Broker;
import dev.pushserver.cluster.LocalBroker;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.transport.Liveness;
import dev.pushserver.transport.Loops;
import dev.pushserver.transport.ServerContext;
import dev.pushserver.transport.Transport;
import dev.pushserver.user.UserService;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the configuration into running components; start and graceful stop. */
public final class PushServer implements ServerContext, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PushServer.class);

    private final ServerConfig config;
    private final Transport transport;
    private final Loops loops;
    private final AppRegistry apps;
    private final Liveness liveness;
    private final ChannelService channels;
    private final UserService users = new UserService();
    private final ApiHandler api;
    private volatile boolean stopping;
    private volatile boolean stopped;
    private final Object closedSignal = new Object();

    private PushServer(ServerConfig config) {
        this.config = config;
        this.transport = new Transport(config);
        this.loops = transport.loops();
        this.apps = new AppRegistry(config.apps(), loops.size());
        Broker broker = new LocalBroker(loops, PooledByteBufAllocator.DEFAULT);
        this.liveness = new Liveness(loops, config.activityTimeoutSeconds(), config.pongTimeoutSeconds());
        this.channels = new ChannelService(broker);
        this.api = new ApiHandler(apps, broker);
    }

    /** Binds the listeners and returns the running server. */
    public static PushServer start(ServerConfig config) throws InterruptedException {
        PushServer server = new PushServer(config);
        try {
            server.transport.bind(server);
        } catch (RuntimeException | InterruptedException e) {
            server.transport.shutdown();
            throw e;
        }
        server.liveness.start();
        server.loops.get(0).scheduleAtFixedRate(() -> server.apps.all().forEach(a -> a.cache().evictExpired()),
                1, 1, TimeUnit.MINUTES);
        return server;
    }

    /** The WebSocket (and, unless api_port is set, HTTP API) port actually bound. */
    public int port() {
        return transport.port();
    }

    /** The HTTP API port actually bound (the same as {@link #port()} unless api_port is set). */
    public int apiPort() {
        return transport.apiPort();
    }

    /**
     * Graceful stop: stop accepting, tell every client to reconnect elsewhere (pusher:error + close 4200), wait up to
     * {@code shutdown_grace_period} for them to go, then stop the event loops.
     */
    public void stop() {
        if (stopped) {
            return;
        }
        stopping = true;
        transport.closeListeners();
        int open = 0;
        for (App app : apps.all()) {
            for (Connection c : app.connections()) {
                open++;
                c.loop().execute(() -> c.close(ErrorCodes.RECONNECT_IMMEDIATELY, "Server is shutting down; reconnect"));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.shutdownGraceSeconds());
        synchronized (closedSignal) {
            while (openConnections() > 0 && System.nanoTime() < deadline) {
                try {
                    closedSignal.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        int left = openConnections();
        liveness.stop();
        transport.shutdown();
        stopped = true;
        log.info("stopped: {} connections told to reconnect, {} still open at the deadline; {} slow consumers "
                + "closed while running", open, left, Connection.slowConsumerCloses());
    }

    @Override
    public void close() {
        stop();
    }

    private int openConnections() {
        int n = 0;
        for (App app : apps.all()) {
            n += app.connectionCount();
        }
        return n;
    }

    @Override
    public void connectionClosed() {
        if (stopping) {
            synchronized (closedSignal) {
                closedSignal.notifyAll();
            }
        }
    }

    @Override
    public ServerConfig config() {
        return config;
    }

    @Override
    public AppRegistry apps() {
        return apps;
    }

    @Override
    public Loops loops() {
        return loops;
    }

    @Override
    public Liveness liveness() {
        return liveness;
    }

    @Override
    public ChannelService channels() {
        return channels;
    }

    @Override
    public UserService users() {
        return users;
    }

    @Override
    public ApiHandler api() {
        return api;
    }

    @Override
    public boolean isStopping() {
        return stopping;
    }
}
