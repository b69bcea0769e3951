package dev.pushserver.user;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.app.App;
import dev.pushserver.config.AppConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.protocol.ChannelNames;
import dev.pushserver.protocol.ClientMessage;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.Messages;
import dev.pushserver.protocol.Signatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * User authentication ({@code pusher:signin}, reference §2.8) and watchlist events (§2.9). Runs on the connection's
 * event loop; watchers on other loops are written to directly (Netty hands the write to their loop).
 */
public final class UserService {

    public void signin(Connection conn, ClientMessage msg) {
        App app = conn.app();
        AppConfig cfg = app.config();
        if (!cfg.enableUserAuthentication()) {
            conn.send(Messages.error("User authentication is not enabled for this app", null));
            return;
        }
        JsonNode data = msg.dataObject();
        String auth = ClientMessage.text(data, "auth");
        String userData = ClientMessage.text(data, "user_data");
        if (auth == null || userData == null) {
            conn.send(Messages.error("Invalid pusher:signin: data must contain 'auth' and 'user_data' strings", null));
            return;
        }
        String authProblem = Signatures.checkAuthToken(app.key(), app.secret(),
                conn.socketId() + "::user::" + userData, auth);
        if (authProblem != null) {
            // a forged identity is fatal for the connection (4009, as soketi does; pusher-js will not reconnect)
            conn.close(ErrorCodes.UNAUTHORIZED, authProblem);
            return;
        }
        JsonNode user;
        try {
            user = Json.MAPPER.readTree(userData);
        } catch (IOException e) {
            user = null;
        }
        if (user == null || !user.isObject()) {
            conn.send(Messages.error("Invalid user_data: expected a JSON object with an 'id'", null));
            return;
        }
        JsonNode idNode = user.get("id");
        if (idNode == null || !idNode.isTextual() || !ChannelNames.validUserId(idNode.asText())) {
            conn.send(Messages.error("Invalid user_data: 'id' must be a non-empty string of at most 128 characters "
                    + "from A-Z a-z 0-9 _ - = @ , . ;", null));
            return;
        }
        String userId = idNode.asText();
        if (conn.userId() != null && !conn.userId().equals(userId)) {
            conn.send(Messages.error("This connection is already signed in as a different user", null));
            return;
        }
        JsonNode info = user.get("user_info");
        if (info != null && !info.isNull() && !info.isObject()) {
            conn.send(Messages.error("Invalid user_data: 'user_info' must be an object", null));
            return;
        }
        String infoJson = info == null || info.isNull() ? null : info.toString();
        if (infoJson != null && infoJson.getBytes(StandardCharsets.UTF_8).length > cfg.maxPresenceMemberSize()) {
            conn.send(Messages.error("Invalid user_data: 'user_info' is larger than "
                    + cfg.maxPresenceMemberSize() + " bytes", null));
            return;
        }
        JsonNode wl = user.get("watchlist");
        if (wl != null && !wl.isNull() && !wl.isArray()) {
            conn.send(Messages.error("Invalid user_data: 'watchlist' must be an array of user ids", null));
            return;
        }
        Set<String> watch = new LinkedHashSet<>();
        int offered = 0;
        if (wl != null && wl.isArray()) {
            for (JsonNode id : wl) {
                if (!id.isTextual() || !ChannelNames.validUserId(id.asText())) {
                    conn.send(Messages.error("Invalid user_data: 'watchlist' must contain user id strings", null));
                    return;
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
        conn.send(Messages.signinSuccess(userData));
        if (offered > watchlist.size()) {
            conn.send(Messages.error("Watchlist limit exceeded: only the first " + cfg.maxWatchlistSize()
                    + " user ids are watched", ErrorCodes.WATCHLIST_LIMIT));
        }
        AppUsers users = app.users();
        boolean watching = cfg.enableWatchlistEvents();
        if (!again) {
            // before this connection registers its own watches, so watching yourself does not say online twice
            users.signIn(userId, conn, watching ? id -> notifyWatchers(users, id, true) : id -> { });
        }
        if (watching) {
            users.unwatch(conn, previousWatchlist);
            users.watch(conn, watchlist);
        }
        if (watching && !watchlist.isEmpty()) {
            List<String> online = new ArrayList<>();
            List<String> offline = new ArrayList<>();
            for (String id : watchlist) {
                (users.isOnline(id) ? online : offline).add(id);
            }
            conn.send(Messages.watchlistEvents(online, offline));
        }
    }

    /** Called once when a connection has closed. */
    public void disconnected(Connection conn) {
        String userId = conn.userId();
        if (userId == null) {
            return;
        }
        AppUsers users = conn.app().users();
        boolean watching = conn.app().config().enableWatchlistEvents();
        if (watching) {
            users.unwatch(conn, conn.watchlist());
        }
        users.signOut(userId, conn, watching ? id -> notifyWatchers(users, id, false) : id -> { });
    }

    private static void notifyWatchers(AppUsers users, String userId, boolean online) {
        Set<Connection> watchers = users.watchersOf(userId);
        if (watchers.isEmpty()) {
            return;
        }
        List<String> ids = List.of(userId);
        byte[] message = online ? Messages.watchlistEvents(ids, List.of()) : Messages.watchlistEvents(List.of(), ids);
        for (Connection w : watchers) {
            w.send(message);
        }
    }
}
