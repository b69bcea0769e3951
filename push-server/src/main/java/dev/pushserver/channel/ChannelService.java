package dev.pushserver.channel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.app.App;
import dev.pushserver.cluster.Broker;
import dev.pushserver.config.AppConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.protocol.ChannelNames;
import dev.pushserver.protocol.ChannelType;
import dev.pushserver.protocol.ClientMessage;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.Messages;
import dev.pushserver.protocol.Signatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The channel rules of the Pusher protocol: subscribe (with auth and presence), unsubscribe, client events and the
 * clean-up when a connection goes away. Every method runs on the connection's event loop. A rejected request gets
 * a {@code pusher:error} and changes nothing.
 */
public final class ChannelService {

    private final Broker broker;

    public ChannelService(Broker broker) {
        this.broker = broker;
    }

    // ---- subscribe --------------------------------------------------------------------------------------------

    public void subscribe(Connection conn, ClientMessage msg) {
        JsonNode data = msg.dataObject();
        String channel = ClientMessage.text(data, "channel");
        if (data == null || channel == null) {
            conn.send(Messages.error("Invalid pusher:subscribe: data must be an object with a 'channel' string", null));
            return;
        }
        AppConfig cfg = conn.app().config();
        ChannelType type = ChannelType.of(channel);
        boolean ownUserChannel = conn.userId() != null
                && channel.equals(ChannelType.SERVER_TO_USER_PREFIX + conn.userId());
        if (type == ChannelType.SERVER_TO_USER && channel.startsWith(ChannelType.SERVER_TO_USER_PREFIX)
                && !ownUserChannel) {
            reject(conn, channel, channel + " can only be subscribed to by a connection signed in as that user",
                    403);
            return;
        }
        String problem = ChannelNames.problem(channel, cfg.maxChannelNameLength(), ownUserChannel);
        if (problem != null) {
            reject(conn, channel, problem, 400);
            return;
        }
        Subscription existing = conn.subscriptions().get(channel);
        if (existing != null) {
            // idempotent: confirm again without counting twice
            conn.send(Messages.subscriptionSucceeded(channel, type == ChannelType.PRESENCE
                    ? Messages.presenceData(existing.state().presenceMembers()) : "{}"));
            return;
        }

        String userId = null;
        String userInfo = null;
        if (type.requiresAuth()) {
            String auth = ClientMessage.text(data, "auth");
            JsonNode cd = data.get("channel_data");
            String channelData = null;
            if (type == ChannelType.PRESENCE) {
                if (cd == null || cd.isNull()) {
                    if (conn.userId() == null) {
                        reject(conn, channel, "Presence subscription requires channel_data with a user_id "
                                + "(or a signed-in connection)", 400);
                        return;
                    }
                    // signed-in user without channel_data: the identity comes from pusher:signin (reference §2.8)
                    userId = conn.userId();
                    userInfo = conn.userInfoJson();
                } else if (!cd.isTextual()) {
                    reject(conn, channel, "channel_data must be a JSON-encoded string, exactly as it was signed", 400);
                    return;
                } else {
                    channelData = cd.asText();
                }
            }
            String signed = conn.socketId() + ":" + channel + (channelData != null ? ":" + channelData : "");
            String authProblem = Signatures.checkAuthToken(conn.app().key(), conn.app().secret(), signed, auth);
            if (authProblem != null) {
                reject(conn, channel, authProblem, 401);
                return;
            }
            if (channelData != null) {
                String[] member = new String[2];
                String memberProblem = parseMember(channelData, cfg, member);
                if (memberProblem != null) {
                    reject(conn, channel, memberProblem, 400);
                    return;
                }
                userId = member[0];
                userInfo = member[1];
            }
        }

        AppChannels.Join join = conn.app().channels().join(conn, channel, userId, userInfo, cfg.maxPresenceMembers());
        if (join.memberLimitReached()) {
            reject(conn, channel, "Presence channel " + channel + " is full: it has the maximum of "
                    + cfg.maxPresenceMembers() + " members", 403);
            return;
        }
        Subscription sub = join.subscription();
        conn.subscriptions().put(channel, sub);
        if (type.requiresAuth()) {
            conn.markAuthorized();
        }
        if (userId != null && conn.addPresenceUser(userId)) {
            conn.app().addPresenceConnection(userId, conn);
        }
        conn.send(Messages.subscriptionSucceeded(channel,
                join.members() != null ? Messages.presenceData(join.members()) : "{}"));
        if (cfg.enableCacheChannels() && ChannelType.isCache(channel)) {
            EventCache.Entry cached = conn.app().cache().get(channel);
            conn.send(cached != null ? cached.message() : Messages.cacheMiss(channel));
        }
        if (join.firstForUser()) {
            // against the membership at this join: later joiners already have this member in their roster
            broker.publish(conn.app(), channel, Messages.memberAdded(channel, userId, userInfo), conn.socketId(),
                    sub.joinEpoch());
        }
        announceSubscriptionCount(conn, sub.state());
    }

    /**
     * {@code pusher_internal:subscription_count} to every subscriber when the app enables it; above 100
     * subscribers at most one every 5 s, the last one carrying the count at the time it is sent (reference §2.11).
     */
    private void announceSubscriptionCount(Connection conn, ChannelState state) {
        App app = conn.app();
        if (!app.config().enableSubscriptionCount() || !state.type().hasSubscriptionCount()) {
            return;
        }
        long delayNanos = state.subscriptionCountDelay(System.nanoTime());
        if (delayNanos == 0) {
            sendSubscriptionCount(app, state);
        } else if (delayNanos > 0) {
            conn.loop().schedule(() -> {
                state.subscriptionCountSent(System.nanoTime());
                sendSubscriptionCount(app, state);
            }, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void sendSubscriptionCount(App app, ChannelState state) {
        int count = state.subscriptionCount();
        if (count > 0 && !state.isRemoved()) {
            broker.publish(app, state.name(), Messages.subscriptionCount(state.name(), count), null);
        }
    }

    /** Fills {@code out} with user id and user_info JSON (or null); returns a problem text or null. */
    private static String parseMember(String channelData, AppConfig cfg, String[] out) {
        JsonNode cd;
        try {
            cd = Json.MAPPER.readTree(channelData);
        } catch (IOException e) {
            return "channel_data is not valid JSON";
        }
        if (cd == null || !cd.isObject()) {
            return "channel_data must be a JSON object with a user_id";
        }
        JsonNode id = cd.get("user_id");
        String userId;
        if (id != null && id.isTextual()) {
            userId = id.asText();
        } else if (id != null && id.isIntegralNumber()) {
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

    public void unsubscribe(Connection conn, ClientMessage msg) {
        String channel = ClientMessage.text(msg.dataObject(), "channel");
        if (channel == null) {
            conn.send(Messages.error("Invalid pusher:unsubscribe: data must be an object with a 'channel' string",
                    null));
            return;
        }
        Subscription sub = conn.subscriptions().remove(channel);
        if (sub != null) {
            leave(conn, sub);
        }
    }

    /** Leaves every channel; called once when the connection has closed. */
    public void disconnected(Connection conn) {
        for (Subscription sub : new ArrayList<>(conn.subscriptions().values())) {
            leave(conn, sub);
        }
        conn.subscriptions().clear();
    }

    private void leave(Connection conn, Subscription sub) {
        AppChannels.Leave leave = conn.app().channels().leave(sub);
        String userId = sub.userId();
        if (userId != null && conn.removePresenceUser(userId)) {
            conn.app().removePresenceConnection(userId, conn);
        }
        if (leave.lastForUser()) {
            String channel = sub.state().name();
            broker.publish(conn.app(), channel, Messages.memberRemoved(channel, userId), conn.socketId(),
                    leave.epoch());
        }
        if (!leave.lastSubscription()) {
            announceSubscriptionCount(conn, sub.state());
        }
    }

    // ---- client events -----------------------------------------------------------------------------------------

    public void clientEvent(Connection conn, ClientMessage msg) {
        App app = conn.app();
        AppConfig cfg = app.config();
        String channel = msg.channel();
        String event = msg.event();
        if (!cfg.enableClientMessages()) {
            conn.send(Messages.error("Client events are not enabled for this app", null, channel));
            return;
        }
        if (!conn.tryClientEvent(System.nanoTime(), cfg.maxClientEventsPerSecond())) {
            conn.send(Messages.error("Client event rejected due to rate limit: at most "
                    + cfg.maxClientEventsPerSecond() + " per second", ErrorCodes.CLIENT_EVENT_RATE_LIMIT, channel));
            return;
        }
        if (channel == null) {
            conn.send(Messages.error("Client event " + event + " needs a 'channel' string", null));
            return;
        }
        if (event.length() > cfg.maxEventNameLength()) {
            conn.send(Messages.error("Event name is too long: " + event.length() + " characters, the maximum is "
                    + cfg.maxEventNameLength(), null, channel));
            return;
        }
        Subscription sub = conn.subscriptions().get(channel);
        if (sub == null) {
            conn.send(Messages.error("Cannot broadcast client event (connection not subscribed to channel "
                    + channel + ")", null, channel));
            return;
        }
        if (!sub.state().type().allowsClientEvents()) {
            conn.send(Messages.error("Client events are only supported on private and presence channels, not on "
                    + channel, null, channel));
            return;
        }
        String rawData = msg.data() == null ? "{}" : msg.data().toString();
        int size = rawData.getBytes(StandardCharsets.UTF_8).length;
        if (size > cfg.maxEventPayload()) {
            conn.send(Messages.error("Client event data is too large: " + size + " bytes, the maximum is "
                    + cfg.maxEventPayload(), null, channel));
            return;
        }
        // not cached on cache channels (reference §2.10): a client-typing event must not replace the server's state
        broker.publish(app, channel, Messages.clientEvent(event, channel, rawData, sub.userId()), conn.socketId());
    }
}
