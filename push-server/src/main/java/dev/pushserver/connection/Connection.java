package dev.pushserver.connection;

import dev.pushserver.app.App;
import dev.pushserver.fanout.Subscription;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.session.OnLoop;
import dev.pushserver.session.Session;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core's state of one client connection: its subscriptions, its identities and its limits. It talks to the
 * client through its {@link Session} and is touched only on the session's loop. The connection's requests run one
 * at a time in arrival order ({@link #inOrder}): a request whose store answer is pending keeps its place, and the
 * ones after it wait.
 */
public final class Connection {

    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    /** Requests that may wait behind a pending one; a client that sends more is closed (reconnects later). */
    static final int MAX_WAITING = 1_000;

    private final Session session;
    private final Subscriptions subscriptions = new Subscriptions();
    /** presence user ids this connection is a member as, with the number of channels using each */
    private Map<String, Integer> presenceUsers; // created on first presence subscription

    /** set by pusher:signin */
    private String userId;
    private String userInfoJson;
    private List<String> watchlist = List.of();
    /** the #server-to-user-<id> registration that signin made */
    private Subscription userChannel;
    /** signed in or subscribed to a private/presence channel (authorized connections) */
    private boolean authorized;

    private long rateWindowStart;
    private int rateWindowCount;
    private long messageWindowStart;
    private int messageWindowCount;
    /** subscribe / unsubscribe tokens (a bucket of up to max_channels_per_connection), and when it was refilled */
    private double subscribeTokens = -1;
    private long subscribeRefilled;
    private long loggedAt;

    /** requests waiting behind a pending one; created on first need (most connections never wait) */
    private ArrayDeque<Supplier<CompletionStage<?>>> waiting;
    /** a request's answer is pending */
    private boolean busy;
    /** the connection has gone: only its clean-up still runs */
    private boolean ended;

    public Connection(Session session) {
        this.session = session;
    }

    public Session session() {
        return session;
    }

    public App app() {
        return session.app();
    }

    public String socketId() {
        return session.socketId();
    }

    public void send(byte[] message) {
        session.send(message);
    }

    // ---- requests in order ----------------------------------------------------------------------------------

    /**
     * Runs {@code request} once every earlier one has finished. A request returns null (or a completed stage) when
     * it finished at once, or a stage that completes when its pending answer has been handled. On the loop.
     */
    public void inOrder(Supplier<CompletionStage<?>> request) {
        if (ended) {
            return;
        }
        if (busy) {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            if (waiting.size() >= MAX_WAITING) {
                session.close(ErrorCodes.OVER_CAPACITY, "Too many requests waiting for an answer; reconnect later");
                return;
            }
            waiting.add(request);
            return;
        }
        run(request);
    }

    /**
     * The connection has gone: requests still waiting are dropped, and {@code cleanUp} runs after the one in flight
     * (if any) has finished, so that it sees every subscription that request made. On the loop.
     */
    public void end(Supplier<CompletionStage<?>> cleanUp) {
        if (ended) {
            return;
        }
        ended = true;
        if (busy) {
            waiting = new ArrayDeque<>(1);
            waiting.add(cleanUp);
        } else {
            run(cleanUp);
        }
    }

    private void run(Supplier<CompletionStage<?>> request) {
        while (request != null) {
            CompletionStage<?> pending;
            try {
                pending = request.get();
            } catch (RuntimeException e) {
                log.error("{}: request failed: {}", this, e.toString(), e);
                pending = null;
            }
            if (!OnLoop.isDone(pending)) {
                busy = true;
                pending.whenComplete((v, e) -> session.executor().execute(() -> {
                    busy = false;
                    run(next());
                }));
                return;
            }
            request = next();
        }
    }

    private Supplier<CompletionStage<?>> next() {
        return waiting == null ? null : waiting.poll();
    }

    // ---- subscriptions ----------------------------------------------------------------------------------------

    public Subscriptions subscriptions() {
        return subscriptions;
    }

    // ---- client event rate limit -----------------------------------------------------------------------------

    /** Fixed one-second window; returns false when this event is over the app's per-connection limit. */
    public boolean tryClientEvent(long nowNanos, int perSecond) {
        if (nowNanos - rateWindowStart >= 1_000_000_000L) {
            rateWindowStart = nowNanos;
            rateWindowCount = 0;
        }
        return ++rateWindowCount <= perSecond;
    }

    /** What the message limit says about one more message from the client. */
    public enum Rate { OK, OVER, ABUSIVE }

    /**
     * Counts one message (or WebSocket ping) against {@code perSecond}, in a fixed one-second window: over the limit
     * the message is refused; more than twice the limit in one window is abuse.
     */
    public Rate tryMessage(long nowNanos, int perSecond) {
        if (nowNanos - messageWindowStart >= 1_000_000_000L) {
            messageWindowStart = nowNanos;
            messageWindowCount = 0;
        }
        int n = ++messageWindowCount;
        return n <= perSecond ? Rate.OK : n <= 2L * perSecond ? Rate.OVER : Rate.ABUSIVE;
    }

    /**
     * Takes a subscribe / unsubscribe token: the bucket holds up to {@code burst} (a page that resubscribes all its
     * channels at once) and refills at {@code perSecond}; false when it is empty.
     */
    public boolean trySubscribe(long nowNanos, int perSecond, int burst) {
        if (subscribeTokens < 0) {
            subscribeTokens = burst;
        } else {
            subscribeTokens = Math.min(burst,
                    subscribeTokens + (nowNanos - subscribeRefilled) * perSecond / 1_000_000_000.0);
        }
        subscribeRefilled = nowNanos;
        if (subscribeTokens < 1) {
            return false;
        }
        subscribeTokens -= 1;
        return true;
    }

    /** At most one log line per connection per second for what its client causes. */
    public boolean mayLog(long nowMillis) {
        if (nowMillis - loggedAt < 1_000) {
            return false;
        }
        loggedAt = nowMillis;
        return true;
    }

    // ---- identities -----------------------------------------------------------------------------------------

    /** Returns true when this is the connection's first presence membership as {@code userId}. */
    public boolean addPresenceUser(String userId) {
        if (presenceUsers == null) {
            presenceUsers = new HashMap<>(2);
        }
        return presenceUsers.merge(userId, 1, Integer::sum) == 1;
    }

    /** Returns true when the connection no longer is a presence member as {@code userId}. */
    public boolean removePresenceUser(String userId) {
        if (presenceUsers == null) {
            return true;
        }
        Integer left = presenceUsers.computeIfPresent(userId, (k, v) -> v == 1 ? null : v - 1);
        return left == null;
    }

    /** Signed in as {@code userId}, or a presence member as {@code userId} (terminate_connections). */
    public boolean isUser(String userId) {
        return userId.equals(this.userId) || (presenceUsers != null && presenceUsers.containsKey(userId));
    }

    /** Every identity: the signed-in user and the presence user ids. */
    public Set<String> identities() {
        Set<String> out = new HashSet<>();
        if (userId != null) {
            out.add(userId);
        }
        if (presenceUsers != null) {
            out.addAll(presenceUsers.keySet());
        }
        return out;
    }

    /** The signed-in user id, or null. */
    public String userId() {
        return userId;
    }

    /** The signed-in user's user_info JSON, or null. */
    public String userInfoJson() {
        return userInfoJson;
    }

    public List<String> watchlist() {
        return watchlist;
    }

    public void signIn(String userId, String userInfoJson, List<String> watchlist) {
        this.userId = userId;
        this.userInfoJson = userInfoJson;
        this.watchlist = watchlist;
        this.authorized = true;
    }

    public Subscription userChannel() {
        return userChannel;
    }

    public void userChannel(Subscription s) {
        this.userChannel = s;
    }

    public boolean isAuthorized() {
        return authorized;
    }

    public void markAuthorized() {
        authorized = true;
    }

    @Override
    public String toString() {
        return "connection " + session.socketId() + " (app " + session.app().id() + ")";
    }
}
