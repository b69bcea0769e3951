package dev.pushserver.core;

import dev.pushserver.channel.ChannelService;
import dev.pushserver.config.AppConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.connection.ConnectionRegistry;
import dev.pushserver.metrics.Limit;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.protocol.ClientMessage;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.LogText;
import dev.pushserver.protocol.Messages;
import dev.pushserver.session.Guarded;
import dev.pushserver.session.OnLoop;
import dev.pushserver.session.Session;
import dev.pushserver.user.UserService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pusher protocol on one connection, apart from its transport: admits a new session, hands each decoded client
 * message to its rule one at a time in arrival order, and cleans up once the session has gone. Every method runs on
 * the session's loop.
 */
public final class ClientDispatcher {

    private static final Logger log = LoggerFactory.getLogger(ClientDispatcher.class);

    private final int activityTimeoutSeconds;
    private final ConnectionRegistry registry;
    private final ChannelService channels;
    private final UserService users;
    private final PushMetrics metrics;

    public ClientDispatcher(int activityTimeoutSeconds, ConnectionRegistry registry, ChannelService channels,
            UserService users, PushMetrics metrics) {
        this.metrics = metrics;
        this.activityTimeoutSeconds = activityTimeoutSeconds;
        this.registry = registry;
        this.channels = channels;
        this.users = users;
    }

    /**
     * Registers a new session and sends {@code pusher:connection_established}; returns null when the session is
     * refused (it is then being closed with the reason).
     */
    public Connection open(Session session) {
        ConnectionRegistry.Admission admission = registry.open(session);
        Connection c = admission.connection();
        AppConfig cfg = session.app().config();
        if (c == null) {
            if (admission.refusal() == ConnectionRegistry.Refusal.OVER_QUOTA) {
                metrics.app(session.app()).rateLimited(Limit.MAX_CONNECTIONS);
                session.close(ErrorCodes.OVER_CAPACITY, "Application is over its connection quota of "
                        + cfg.maxConnections());
            } else {
                session.close(ErrorCodes.RECONNECT_IMMEDIATELY, "Socket id already in use; reconnect");
            }
            return null;
        }
        session.send(Messages.connectionEstablished(session.socketId(), activityTimeoutSeconds));
        channels.connected(c);
        if (cfg.requireAuthorization()) {
            int timeout = cfg.authorizationTimeout();
            session.executor().schedule(Guarded.task("authorization timeout", () -> {
                if (session.isOpen() && !c.isAuthorized()) {
                    session.close(ErrorCodes.UNAUTHORIZED, "Connection not authorized within " + timeout
                            + " seconds: sign in or subscribe to a private or presence channel");
                }
            }), timeout, TimeUnit.SECONDS);
        }
        return c;
    }

    /** One text message from the client. */
    public void message(Connection c, byte[] json) {
        if (!admit(c)) {
            c.send(Messages.error("Too many messages: at most " + c.app().config().maxMessagesPerSecond()
                    + " per second; this one was dropped", ErrorCodes.CLIENT_EVENT_RATE_LIMIT));
            return;
        }
        ClientMessage msg = ClientMessage.parse(json);
        c.inOrder(() -> handle(c, msg));
    }

    /**
     * Counts a frame the transport handles itself (a WebSocket ping) against the message limit; false when it is
     * over the limit and must be ignored.
     */
    public boolean frame(Connection c) {
        return admit(c);
    }

    /** The message limit: over it a message is refused; a client that keeps sending at twice the rate is closed. */
    private boolean admit(Connection c) {
        switch (c.tryMessage(System.nanoTime(), c.app().config().maxMessagesPerSecond())) {
            case OK -> {
                return true;
            }
            case OVER -> {
                metrics.app(c.app()).rateLimited(Limit.MAX_MESSAGES_PER_SECOND);
                return false;
            }
            default -> {
                metrics.app(c.app()).rateLimited(Limit.MAX_MESSAGES_PER_SECOND);
                c.session().close(ErrorCodes.OVER_CAPACITY, "Too many messages: more than twice the limit of "
                        + c.app().config().maxMessagesPerSecond() + " per second; reconnect later");
                return false;
            }
        }
    }

    private CompletionStage<?> handle(Connection c, ClientMessage msg) {
        try {
            return dispatch(c, msg);
        } catch (RuntimeException e) {
            // our bug: it must not take the connection down with it, nor flood the log
            if (c.mayLog(System.currentTimeMillis())) {
                log.error("{}: failed to handle {}: {}", c, LogText.of(msg.event()), e.toString(), e);
            }
            c.send(Messages.error("Internal server error while handling this message", null));
            return null;
        }
    }

    private CompletionStage<?> dispatch(Connection c, ClientMessage msg) {
        if (msg.problem() != null) {
            c.send(Messages.error(msg.problem(), null));
            return null;
        }
        String event = msg.event();
        switch (event) {
            case "pusher:ping" -> c.send(Messages.pong());
            case "pusher:pong" -> {
            }
            case "pusher:subscribe" -> {
                return channels.subscribe(c, msg);
            }
            case "pusher:unsubscribe" -> {
                return channels.unsubscribe(c, msg);
            }
            case "pusher:signin" -> {
                return users.signin(c, msg);
            }
            default -> {
                if (event.startsWith("client-")) {
                    channels.clientEvent(c, msg);
                } else if (event.startsWith("pusher:") || event.startsWith("pusher_internal:")) {
                    c.send(Messages.error("Unsupported event " + event, null));
                } else {
                    c.send(Messages.error("Client events must be prefixed by 'client-': " + event, null));
                }
            }
        }
        return null;
    }

    /**
     * The session has gone: after the request in flight, if any, the connection leaves its channels and signs out,
     * then its slot is freed.
     */
    public void closed(Connection c) {
        c.end(() -> {
            CompletionStage<?> left = channels.leaveAll(c);
            channels.disconnected(c);
            CompletionStage<?> signedOut = users.disconnected(c);
            if (OnLoop.isDone(left) && OnLoop.isDone(signedOut)) {
                registry.closed(c);
                return null;
            }
            return CompletableFuture.allOf(future(left), future(signedOut)).whenComplete((v, e) -> registry.closed(c));
        });
    }

    private static CompletableFuture<?> future(CompletionStage<?> s) {
        return s == null ? CompletableFuture.completedFuture(null) : s.toCompletableFuture();
    }
}
