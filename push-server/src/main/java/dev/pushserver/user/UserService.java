package dev.pushserver.user;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.app.App;
import dev.pushserver.config.AppConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.connection.ConnectionRegistry;
import dev.pushserver.fanout.LocalFanout;
import dev.pushserver.fanout.Subscription;
import dev.pushserver.protocol.ChannelNames;
import dev.pushserver.protocol.ChannelType;
import dev.pushserver.protocol.ClientMessage;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.Messages;
import dev.pushserver.protocol.Signatures;
import dev.pushserver.session.OnLoop;
import dev.pushserver.store.MembershipStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * User authentication ({@code pusher:signin}, reference §2.8), the signed-in user's {@code #server-to-user-<id>}
 * channel, watchlists (§2.9) and terminate_connections. Connection methods run on the connection's loop and return
 * null when finished, or a stage when they wait for the store. Online and offline are decided by the store; the
 * {@link WatchlistEvents} listener tells the watchers.
 */
public final class UserService {

    private static final Logger log = LoggerFactory.getLogger(UserService.class);

    private final MembershipStore store;
    private final LocalFanout fanout;
    private final ConnectionRegistry registry;
    private final Watchers watchers;

    public UserService(MembershipStore store, LocalFanout fanout, ConnectionRegistry registry, Watchers watchers) {
        this.store = store;
        this.fanout = fanout;
        this.registry = registry;
        this.watchers = watchers;
    }

    public CompletionStage<?> signin(Connection conn, ClientMessage msg) {
        App app = conn.app();
        AppConfig cfg = app.config();
        if (!cfg.enableUserAuthentication()) {
            conn.send(Messages.error("User authentication is not enabled for this app", null));
            return null;
        }
        ClientMessage.DataObject data = msg.dataObject();
        String auth = ClientMessage.text(data, "auth");
        String userData = ClientMessage.text(data, "user_data");
        if (auth == null || userData == null) {
            conn.send(Messages.error("Invalid pusher:signin: data must contain 'auth' and 'user_data' strings", null));
            return null;
        }
        String authProblem = Signatures.checkAuthToken(app.key(), app.secret(),
                conn.socketId() + "::user::" + userData, auth);
        if (authProblem != null) {
            // a forged identity is fatal for the connection (4009, as soketi does; pusher-js will not reconnect)
            conn.session().close(ErrorCodes.UNAUTHORIZED, authProblem);
            return null;
        }
        JsonNode user;
        try {
            user = Json.parse(userData);
        } catch (Json.MalformedText e) {
            conn.send(Messages.error("Invalid user_data: " + e.getMessage(), null));
            return null;
        } catch (IOException e) {
            user = null;
        }
        if (user == null || !user.isObject()) {
            conn.send(Messages.error("Invalid user_data: expected a JSON object with an 'id'", null));
            return null;
        }
        JsonNode idNode = user.get("id");
        if (idNode == null || !idNode.isTextual() || !ChannelNames.validUserId(idNode.asText())) {
            conn.send(Messages.error("Invalid user_data: 'id' must be a non-empty string of at most 128 characters "
                    + "from A-Z a-z 0-9 _ - = @ , . ;", null));
            return null;
        }
        String userId = idNode.asText();
        if (conn.userId() != null && !conn.userId().equals(userId)) {
            conn.send(Messages.error("This connection is already signed in as a different user", null));
            return null;
        }
        JsonNode info = user.get("user_info");
        if (info != null && !info.isNull() && !info.isObject()) {
            conn.send(Messages.error("Invalid user_data: 'user_info' must be an object", null));
            return null;
        }
        String infoJson = info == null || info.isNull() ? null : info.toString();
        if (infoJson != null && infoJson.getBytes(StandardCharsets.UTF_8).length > cfg.maxPresenceMemberSize()) {
            conn.send(Messages.error("Invalid user_data: 'user_info' is larger than "
                    + cfg.maxPresenceMemberSize() + " bytes", null));
            return null;
        }
        JsonNode wl = user.get("watchlist");
        if (wl != null && !wl.isNull() && !wl.isArray()) {
            conn.send(Messages.error("Invalid user_data: 'watchlist' must be an array of user ids", null));
            return null;
        }
        Set<String> watch = new LinkedHashSet<>();
        int offered = 0;
        if (wl != null && wl.isArray()) {
            for (JsonNode id : wl) {
                if (!id.isTextual() || !ChannelNames.validUserId(id.asText())) {
                    conn.send(Messages.error("Invalid user_data: 'watchlist' must contain user id strings", null));
                    return null;
                }
                offered++;
                if (watch.size() < cfg.maxWatchlistSize()) {
                    watch.add(id.asText());
                }
            }
        }

        boolean again = userId.equals(conn.userId());
        List<String> previousWatchlist = conn.watchlist();
        List<String> watchlist = List.copyOf(watch);
        conn.signIn(userId, infoJson, watchlist);
        boolean cut = offered > watchlist.size();
        if (again) {
            // the same user again: only the watchlist may change
            signedIn(conn, userData, cut);
            return watch(conn, previousWatchlist, watchlist);
        }
        registry.addIdentity(userId, conn);
        // server-to-user events reach every connection signed in as the user, whether it subscribes or not; the
        // channel is registered now (pending: its messages wait), so that an event sent to the user as soon as the
        // client hears signin_success is not missed
        Subscription userChannel = fanout.add(conn.session(), ChannelType.SERVER_TO_USER_PREFIX + userId, null);
        conn.userChannel(userChannel);
        // recorded before the client is told: whoever it tells next already sees the user online
        return OnLoop.then(store.signIn(app, userId, conn.socketId()), conn.session(), (first, failure) -> {
            if (failure != null && conn.mayLog(System.currentTimeMillis())) {
                log.warn("{}: recording the signin of user {} failed: {}", conn, userId, failure.toString());
            }
            signedIn(conn, userData, cut);
            if (conn.userChannel() == userChannel) {
                fanout.activate(userChannel, 0); // after signin_success: held events follow it
            }
            // this connection's watches come after it is online, so that watching yourself says online once
            return watch(conn, previousWatchlist, watchlist);
        });
    }

    private static void signedIn(Connection conn, String userData, boolean watchlistCut) {
        conn.send(Messages.signinSuccess(userData));
        if (watchlistCut) {
            int max = conn.app().config().maxWatchlistSize();
            conn.send(Messages.error("Watchlist limit exceeded: only the first " + max + " user ids are watched",
                    ErrorCodes.WATCHLIST_LIMIT));
        }
    }

    /** Replaces the connection's watches, then tells it who of its watchlist is online now. */
    private CompletionStage<?> watch(Connection conn, List<String> previous, List<String> watchlist) {
        if (!conn.app().config().enableWatchlistEvents()) {
            return null;
        }
        watchers.unwatch(conn, previous);
        watchers.watch(conn, watchlist);
        if (watchlist.isEmpty()) {
            return null;
        }
        return OnLoop.when(store.online(conn.app(), watchlist), conn.session(), (online, failure) -> {
            if (failure != null) {
                log.warn("{}: reading the watchlist status failed: {}", conn, failure.toString());
                return;
            }
            List<String> on = new ArrayList<>();
            List<String> off = new ArrayList<>();
            for (String id : watchlist) {
                (online.contains(id) ? on : off).add(id);
            }
            conn.send(Messages.watchlistEvents(on, off));
        });
    }

    /** Called once when the connection has gone. */
    public CompletionStage<?> disconnected(Connection conn) {
        String userId = conn.userId();
        if (userId == null) {
            return null;
        }
        watchers.unwatch(conn, conn.watchlist());
        if (conn.userChannel() != null) {
            fanout.remove(conn.userChannel());
            conn.userChannel(null);
        }
        return store.signOut(conn.app(), userId, conn.socketId());
    }

    /**
     * Closes (4009) every connection of this node that is signed in as {@code userId} or a presence member as it.
     * Any thread.
     */
    public void terminate(App app, String userId) {
        for (Connection c : registry.withIdentity(app, userId)) {
            c.session().executor().execute(() -> {
                if (c.isUser(userId)) {
                    c.session().close(ErrorCodes.UNAUTHORIZED, "Connection terminated by the application");
                }
            });
        }
    }
}
