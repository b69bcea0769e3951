package dev.pushserver.channel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.app.App;
import dev.pushserver.cluster.Publisher;
import dev.pushserver.config.AppConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.connection.ConnectionRegistry;
import dev.pushserver.event.ChannelEvent.CacheMiss;
import dev.pushserver.event.ChannelEvent.ClientEventSent;
import dev.pushserver.event.ChannelEvent.Connected;
import dev.pushserver.event.ChannelEvent.Disconnected;
import dev.pushserver.event.ChannelEvent.Subscribed;
import dev.pushserver.event.ChannelEvent.Unsubscribed;
import dev.pushserver.event.EventStream;
import dev.pushserver.event.EventType;
import dev.pushserver.fanout.LocalFanout;
import dev.pushserver.metrics.ClientEventRejection;
import dev.pushserver.metrics.Limit;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.fanout.Subscription;
import dev.pushserver.protocol.ChannelNames;
import dev.pushserver.protocol.ChannelType;
import dev.pushserver.protocol.ClientMessage;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.LogText;
import dev.pushserver.protocol.Messages;
import dev.pushserver.protocol.Signatures;
import dev.pushserver.session.OnLoop;
import dev.pushserver.store.Join;
import dev.pushserver.store.Joined;
import dev.pushserver.store.MembershipStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channel rules of the Pusher protocol: subscribe (with auth and presence), unsubscribe, client events and the
 * clean-up when a connection goes away. Every method runs on the connection's event loop and returns null when it has
 * finished, or a stage when it waits for the store. A rejected request gets a {@code pusher:error} and changes
 * nothing. The transitions themselves (occupied, member added, ...) are decided by the store and announced by the
 * event stream's listeners, not here.
 */
public final class ChannelService {

    private static final Logger log = LoggerFactory.getLogger(ChannelService.class);

    private final MembershipStore store;
    private final LocalFanout fanout;
    private final Publisher publisher;
    private final EventStream events;
    private final ConnectionRegistry registry;
    private final PushMetrics metrics;

    public ChannelService(MembershipStore store, LocalFanout fanout, Publisher publisher, EventStream events,
            ConnectionRegistry registry, PushMetrics metrics) {
        this.metrics = metrics;
        this.store = store;
        this.fanout = fanout;
        this.publisher = publisher;
        this.events = events;
        this.registry = registry;
    }

    // ---- subscribe --------------------------------------------------------------------------------------------

    public CompletionStage<?> subscribe(Connection conn, ClientMessage msg) {
        ClientMessage.DataObject data = msg.dataObject();
        String channel = ClientMessage.text(data, "channel");
        if (data == null || channel == null) {
            conn.send(Messages.error("Invalid pusher:subscribe: data must be an object with a 'channel' string", null));
            return null;
        }
        App app = conn.app();
        AppConfig cfg = app.config();
        ChannelType type = ChannelType.of(channel);
        boolean ownUserChannel = conn.userId() != null
                && channel.equals(ChannelType.SERVER_TO_USER_PREFIX + conn.userId());
        if (type == ChannelType.SERVER_TO_USER && channel.startsWith(ChannelType.SERVER_TO_USER_PREFIX)
                && !ownUserChannel) {
            reject(conn, channel, channel + " can only be subscribed to by a connection signed in as that user",
                    403);
            return null;
        }
        String problem = ChannelNames.problem(channel, cfg.maxChannelNameLength(), ownUserChannel);
        if (problem != null) {
            reject(conn, channel, problem, 400);
            return null;
        }
        if (ownUserChannel) {
            // its events have reached this connection since signin; the subscribe only confirms (reference §2.8)
            conn.send(Messages.subscriptionSucceeded(channel, "{}"));
            return null;
        }
        if (!conn.trySubscribe(System.nanoTime(), cfg.maxSubscriptionsPerSecond(), subscribeBurst(cfg))) {
            metrics.app(app).rateLimited(Limit.MAX_SUBSCRIPTIONS_PER_SECOND);
            rateLimited(conn, channel, cfg);
            return null;
        }
        if (conn.subscriptions().contains(channel)) {
            // idempotent: confirm again without counting twice
            if (type != ChannelType.PRESENCE) {
                conn.send(Messages.subscriptionSucceeded(channel, "{}"));
                return null;
            }
            return OnLoop.when(store.members(app, channel), conn.session(), (roster, failure) -> {
                if (failure != null) {
                    storeFailed(conn, channel, failure);
                } else {
                    conn.send(Messages.subscriptionSucceeded(channel, Messages.presenceData(roster)));
                }
            });
        }

        String userId = null;
        String userInfo = null;
        if (type.requiresAuth()) {
            String auth = ClientMessage.text(data, "auth");
            ClientMessage.DataObject.Kind cd = data.kind("channel_data");
            String channelData = null;
            if (type == ChannelType.PRESENCE) {
                if (cd == ClientMessage.DataObject.Kind.ABSENT || cd == ClientMessage.DataObject.Kind.NULL) {
                    if (conn.userId() == null) {
                        reject(conn, channel, "Presence subscription requires channel_data with a user_id "
                                + "(or a signed-in connection)", 400);
                        return null;
                    }
                    // signed-in user without channel_data: the identity comes from pusher:signin (reference §2.8)
                    userId = conn.userId();
                    userInfo = conn.userInfoJson();
                } else if (cd != ClientMessage.DataObject.Kind.STRING) {
                    reject(conn, channel, "channel_data must be a JSON-encoded string, exactly as it was signed", 400);
                    return null;
                } else {
                    channelData = data.text("channel_data");
                }
            }
            String signed = conn.socketId() + ":" + channel + (channelData != null ? ":" + channelData : "");
            String authProblem = Signatures.checkAuthToken(app.key(), app.secret(), signed, auth);
            if (authProblem != null) {
                reject(conn, channel, authProblem, 401);
                return null;
            }
            if (channelData != null) {
                String[] member = new String[2];
                String memberProblem = parseMember(channelData, cfg, member);
                if (memberProblem != null) {
                    reject(conn, channel, memberProblem, 400);
                    return null;
                }
                userId = member[0];
                userInfo = member[1];
            }
        }

        if (conn.subscriptions().size() >= cfg.maxChannelsPerConnection()) {
            reject(conn, channel, "Too many channels: a connection may be subscribed to at most "
                    + cfg.maxChannelsPerConnection(), 403);
            return null;
        }
        // registered before the store decides, so nothing published after the decision can miss it
        Subscription sub = fanout.add(conn.session(), channel, userId);
        boolean readCache = cfg.enableCacheChannels() && ChannelType.isCache(channel);
        String member = userId;
        Join request = new Join(channel, conn.socketId(), userId, userInfo, cfg.maxPresenceMembers(), readCache);
        // in a cluster, the store decides once this node hears the channel's messages from the other nodes, so that
        // no member event of a later transition can pass it by (when they cannot be reached, it goes on without)
        CompletionStage<Void> listening = publisher.listening(app, channel);
        CompletionStage<Joined> join = OnLoop.isDone(listening) ? store.join(app, request)
                : listening.handle((ok, failure) -> request).thenCompose(r -> store.join(app, r));
        return OnLoop.when(join, conn.session(), (joined, failure) -> joined(conn, sub, member, readCache, joined,
                failure));
    }

    private void joined(Connection conn, Subscription sub, String userId, boolean readCache, Joined joined,
            Throwable failure) {
        String channel = sub.channel();
        if (failure != null) {
            fanout.remove(sub);
            storeFailed(conn, channel, failure);
            return;
        }
        if (joined.full()) {
            fanout.remove(sub);
            int max = conn.app().config().maxPresenceMembers();
            reject(conn, channel, "Presence channel " + channel + " is full: it has the maximum of " + max
                    + " members", 403);
            return;
        }
        byte[] succeeded;
        try {
            succeeded = Messages.subscriptionSucceeded(channel,
                    joined.roster() != null ? Messages.presenceData(joined.roster()) : "{}");
        } catch (RuntimeException e) {
            // our bug, as input is checked: undo the join rather than leave a member half-joined
            log.error("{}: cannot build the reply to a subscribe to {}: {}", conn, LogText.of(channel), e.toString(),
                    e);
            fanout.remove(sub);
            store.leave(conn.app(), channel, conn.socketId(), userId);
            reject(conn, channel, "Internal server error while subscribing", 500);
            return;
        }
        conn.subscriptions().put(sub);
        if (ChannelType.of(channel).requiresAuth()) {
            conn.markAuthorized();
        }
        if (userId != null && conn.addPresenceUser(userId)) {
            registry.addIdentity(userId, conn);
        }
        conn.send(succeeded);
        App subscribedApp = conn.app();
        if (events.wants(subscribedApp, EventType.SUBSCRIBED)) {
            String socketId = conn.socketId();
            events.emit(subscribedApp, EventType.SUBSCRIBED,
                    (seq, t) -> new Subscribed(subscribedApp, channel, userId, socketId, t, seq));
        }
        if (readCache) {
            if (joined.cached() != null) {
                conn.send(joined.cached().message());
            } else {
                conn.send(Messages.cacheMiss(channel));
                App app = conn.app();
                String socketId = conn.socketId();
                events.emit(app, EventType.CACHE_MISS, (seq, t) -> new CacheMiss(app, channel, socketId, t, seq));
            }
        }
        // messages held while the store decided go out after subscription_succeeded
        fanout.activate(sub, joined.version());
    }

    private static void storeFailed(Connection conn, String channel, Throwable failure) {
        if (conn.mayLog(System.currentTimeMillis())) {
            log.warn("{}: subscribe to {} failed: {}", conn, LogText.of(channel), failure.toString());
        }
        reject(conn, channel, "The server could not record the subscription; try again", 503);
    }

    /** A page may resubscribe all its channels at once: at least one second's worth, up to the channel cap. */
    private static int subscribeBurst(AppConfig cfg) {
        return Math.max(cfg.maxChannelsPerConnection(), cfg.maxSubscriptionsPerSecond());
    }

    /** Over max_subscriptions_per_second: refused like Pusher refuses a client event over its rate (4301). */
    private static void rateLimited(Connection conn, String channel, AppConfig cfg) {
        String message = "Too many subscribe requests: at most " + cfg.maxSubscriptionsPerSecond()
                + " per second (after a burst of " + subscribeBurst(cfg) + ")";
        conn.send(Messages.error(message, ErrorCodes.CLIENT_EVENT_RATE_LIMIT, channel));
        if (ChannelType.of(channel) != ChannelType.ENCRYPTED) {
            conn.send(Messages.subscriptionError(channel, "SubscriptionError", message, 429));
        }
    }

    /** Fills {@code out} with user id and user_info JSON (or null); returns a problem text or null. */
    private static String parseMember(String channelData, AppConfig cfg, String[] out) {
        JsonNode cd;
        try {
            cd = Json.parse(channelData);
        } catch (Json.MalformedText e) {
            return "channel_data: " + e.getMessage();
        } catch (IOException e) {
            return "channel_data is not valid JSON";
        }
        if (cd == null || !cd.isObject()) {
            return "channel_data must be a JSON object with a user_id";
        }
        JsonNode id = cd.get("user_id");
        String userId;
        if (id != null && (id.isTextual() || id.isIntegralNumber())) {
            userId = id.asText();
        } else {
            return "channel_data must contain a user_id (string or integer)";
        }
        if (userId.isEmpty() || userId.length() > 128) {
            return "user_id must be 1 to 128 characters long";
        }
        JsonNode info = cd.get("user_info");
        String infoJson = null;
        if (info != null && !info.isNull()) {
            if (!info.isObject()) {
                return "user_info supplied to presence subscription is invalid - if supplied it must be a type of hash";
            }
            infoJson = info.toString();
            int size = infoJson.getBytes(StandardCharsets.UTF_8).length;
            if (size > cfg.maxPresenceMemberSize()) {
                return "user_info is too large: " + size + " bytes, the maximum is " + cfg.maxPresenceMemberSize();
            }
        }
        out[0] = userId;
        out[1] = infoJson;
        return null;
    }

    /**
     * Pusher's own answer to a failed subscribe is a {@code pusher:error} with a null code; the channel-scoped
     * {@code pusher:subscription_error} lets pusher-js / Laravel Echo's {@code .error()} see it too (not on encrypted
     * channels, where the Java client would try to decrypt it).
     */
    private static void reject(Connection conn, String channel, String message, int status) {
        conn.send(Messages.error(message, null, channel));
        if (channel != null && ChannelType.of(channel) != ChannelType.ENCRYPTED) {
            conn.send(Messages.subscriptionError(channel, status == 401 ? "AuthError" : "SubscriptionError",
                    message, status));
        }
    }

    // ---- unsubscribe and disconnect ---------------------------------------------------------------------------

    public CompletionStage<?> unsubscribe(Connection conn, ClientMessage msg) {
        String channel = ClientMessage.text(msg.dataObject(), "channel");
        if (channel == null) {
            conn.send(Messages.error("Invalid pusher:unsubscribe: data must be an object with a 'channel' string",
                    null));
            return null;
        }
        AppConfig cfg = conn.app().config();
        if (!conn.trySubscribe(System.nanoTime(), cfg.maxSubscriptionsPerSecond(), subscribeBurst(cfg))) {
            metrics.app(conn.app()).rateLimited(Limit.MAX_SUBSCRIPTIONS_PER_SECOND);
            conn.send(Messages.error("Too many unsubscribe requests: at most " + cfg.maxSubscriptionsPerSecond()
                    + " per second", ErrorCodes.CLIENT_EVENT_RATE_LIMIT, channel));
            return null;
        }
        Subscription sub = conn.subscriptions().remove(channel);
        return sub == null ? null : leave(conn, sub);
    }

    /** Leaves every channel; called once when the connection has gone. */
    public CompletionStage<?> leaveAll(Connection conn) {
        List<CompletableFuture<?>> pending = null;
        for (Subscription sub : conn.subscriptions().snapshot()) {
            CompletionStage<?> left = leave(conn, sub);
            if (!OnLoop.isDone(left)) {
                if (pending == null) {
                    pending = new ArrayList<>();
                }
                pending.add(left.toCompletableFuture());
            }
        }
        conn.subscriptions().clear();
        return pending == null ? null : CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]));
    }

    private CompletionStage<?> leave(Connection conn, Subscription sub) {
        fanout.remove(sub);
        String userId = sub.userId();
        if (userId != null && conn.removePresenceUser(userId)) {
            registry.removeIdentity(userId, conn);
        }
        App app = conn.app();
        String socketId = conn.socketId();
        if (events.wants(app, EventType.UNSUBSCRIBED)) {
            String channel = sub.channel();
            events.emit(app, EventType.UNSUBSCRIBED, (seq, t) -> new Unsubscribed(app, channel, userId, socketId, t,
                    seq));
        }
        return store.leave(app, sub.channel(), socketId, userId);
    }

    /** Announces an admitted connection (for the debug console; nothing is built when nobody listens). */
    public void connected(Connection conn) {
        App app = conn.app();
        if (events.wants(app, EventType.CONNECTED)) {
            String socketId = conn.socketId();
            events.emit(app, EventType.CONNECTED, (seq, t) -> new Connected(app, socketId, t, seq));
        }
    }

    /** Announces a connection that went away. */
    public void disconnected(Connection conn) {
        App app = conn.app();
        if (events.wants(app, EventType.DISCONNECTED)) {
            String socketId = conn.socketId();
            events.emit(app, EventType.DISCONNECTED, (seq, t) -> new Disconnected(app, socketId, t, seq));
        }
    }

    // ---- client events -----------------------------------------------------------------------------------------

    public void clientEvent(Connection conn, ClientMessage msg) {
        App app = conn.app();
        AppConfig cfg = app.config();
        String channel = msg.channel();
        String event = msg.event();
        if (!cfg.enableClientMessages()) {
            metrics.app(app).clientEventRejected(ClientEventRejection.DISABLED);
            conn.send(Messages.error("Client events are not enabled for this app", null, channel));
            return;
        }
        if (!conn.tryClientEvent(System.nanoTime(), cfg.maxClientEventsPerSecond())) {
            metrics.app(app).clientEventRejected(ClientEventRejection.RATE_LIMIT);
            metrics.app(app).rateLimited(Limit.MAX_CLIENT_EVENTS_PER_SECOND);
            conn.send(Messages.error("Client event rejected due to rate limit: at most "
                    + cfg.maxClientEventsPerSecond() + " per second", ErrorCodes.CLIENT_EVENT_RATE_LIMIT, channel));
            return;
        }
        if (channel == null) {
            metrics.app(app).clientEventRejected(ClientEventRejection.NO_CHANNEL);
            conn.send(Messages.error("Client event " + event + " needs a 'channel' string", null));
            return;
        }
        if (event.length() > cfg.maxEventNameLength()) {
            metrics.app(app).clientEventRejected(ClientEventRejection.NAME_TOO_LONG);
            conn.send(Messages.error("Event name is too long: " + event.length() + " characters, the maximum is "
                    + cfg.maxEventNameLength(), null, channel));
            return;
        }
        Subscription sub = conn.subscriptions().get(channel);
        if (sub == null) {
            metrics.app(app).clientEventRejected(ClientEventRejection.NOT_SUBSCRIBED);
            conn.send(Messages.error("Cannot broadcast client event (connection not subscribed to channel "
                    + channel + ")", null, channel));
            return;
        }
        if (!ChannelType.of(channel).allowsClientEvents()) {
            metrics.app(app).clientEventRejected(ClientEventRejection.CHANNEL_TYPE);
            conn.send(Messages.error("Client events are only supported on private and presence channels, not on "
                    + channel, null, channel));
            return;
        }
        int size = msg.rawDataLength();
        if (size > cfg.maxEventPayload()) {
            metrics.app(app).clientEventRejected(ClientEventRejection.TOO_LARGE);
            conn.send(Messages.error("Client event data is too large: " + size + " bytes, the maximum is "
                    + cfg.maxEventPayload(), null, channel));
            return;
        }
        String userId = sub.userId();
        String socketId = conn.socketId();
        // not cached on cache channels (reference §2.10): a client-typing event must not replace the server's state
        publisher.publish(app, channel, Messages.clientEvent(event, channel, msg, userId), socketId);
        metrics.app(app).clientEvent();
        if (events.wants(app, EventType.CLIENT_EVENT)) {
            // for hooks: a string as is, anything else as its JSON text (reference §5.2)
            String dataText = msg.dataText();
            events.emit(app, EventType.CLIENT_EVENT,
                    (seq, t) -> new ClientEventSent(app, channel, event, dataText, userId, socketId, t, seq));
        }
    }
}
