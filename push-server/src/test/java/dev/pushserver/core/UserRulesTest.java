package dev.pushserver.core;

import static dev.pushserver.core.CoreHarness.Client.data;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.api.ApiResponse;
import dev.pushserver.app.App;
import dev.pushserver.core.CoreHarness.Client;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.EventType;
import dev.pushserver.testing.Messages;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The user rules on fake sessions and manual loops: signin, the {@code #server-to-user-<id>} channel, watchlists,
 * terminate_connections, authorized connections and the connection quota. Deterministic and without sockets; each
 * test also checks that every frame fan-out made was released.
 */
class UserRulesTest {

    private CoreHarness h = new CoreHarness();

    @AfterEach
    void noLeaks() {
        h.runAll();
        assertThat(h.liveFrames()).as("frames still referenced").isEmpty();
        h.close();
    }

    /** A harness whose app-1 has these extra settings (YAML lines, indented like the app's other keys). */
    private void reconfigure(String... appSettings) {
        h.close();
        StringBuilder extra = new StringBuilder("enable_client_messages: true");
        for (String s : appSettings) {
            extra.append("\n    ").append(s);
        }
        h = new CoreHarness(CoreHarness.DEFAULT_APPS.replace("enable_client_messages: true", extra), 2);
    }

    private static String user(String id) {
        return "{\"id\":" + Messages.quote(id) + "}";
    }

    private static String watcher(String id, String... watched) {
        StringBuilder sb = new StringBuilder("{\"id\":").append(Messages.quote(id)).append(",\"watchlist\":[");
        for (int i = 0; i < watched.length; i++) {
            sb.append(i == 0 ? "" : ",").append(Messages.quote(watched[i]));
        }
        return sb.append("]}").toString();
    }

    /** The signed pusher:signin that {@link Client#signin} sends, for {@link Client#queue}. */
    private static String signinMessage(Client c, String userData) {
        App app = c.session.app();
        return Messages.signin(app.key(), app.secret(), c.socketId(), userData);
    }

    /** Signs in and consumes the signin_success (and the watchlist status, if any). */
    private static void signedIn(Client c, String userData) {
        c.signin(userData);
        c.expect("pusher:signin_success");
        c.skipAll();
    }

    private void trigger(String channel, String event, String data) {
        ApiResponse r = h.api("POST", "/events", "{\"name\":" + Messages.quote(event) + ",\"channel\":"
                + Messages.quote(channel) + ",\"data\":" + Messages.quote(data) + "}");
        assertThat(r.status()).as("trigger answer").isEqualTo(200);
    }

    private boolean occupied(String channel) {
        ApiResponse r = h.api("GET", "/channels/" + channel, null);
        assertThat(r.status()).isEqualTo(200);
        return CoreHarness.json(r.body()).get("occupied").asBoolean();
    }

    private static String watchlistEvents(String groupsJson) {
        return "{\"event\":\"pusher_internal:watchlist_events\",\"data\":{\"events\":[" + groupsJson + "]}}";
    }

    // ---- signin -------------------------------------------------------------------------------------------------

    @Test
    void signinEchoesTheExactUserDataAndTheUserIsOnlineFromItsFirstConnectionToItsLast() {
        // odd spacing and key order: the server must echo the signed string, not a re-encoding of it
        String userData = "{ \"user_info\": {\"name\":\"Ann\"},  \"id\" : \"42\" }";
        Client tab1 = h.connect(0);
        tab1.signin(userData);
        JsonNode success = tab1.expect("pusher:signin_success");
        assertThat(success.get("data").isObject()).as("data is an object").isTrue();
        assertThat(success.get("data").get("user_data").isTextual()).as("user_data is a string").isTrue();
        assertThat(success.get("data").get("user_data").asText()).isEqualTo(userData);
        assertThat(tab1.unread()).isEmpty();
        assertThat(tab1.conn.userId()).isEqualTo("42");

        Client tab2 = h.connect(1);
        tab2.signin(userData);
        assertThat(tab2.expect("pusher:signin_success").get("data").get("user_data").asText()).isEqualTo(userData);
        assertThat(h.events(EventType.USER_ONLINE)).as("online once, for the first connection")
                .extracting(ChannelEvent::userId, ChannelEvent::socketId)
                .containsExactly(tuple("42", tab1.socketId()));

        tab1.disconnect();
        assertThat(h.events(EventType.USER_OFFLINE)).as("tab2 is still signed in").isEmpty();
        tab2.disconnect();
        assertThat(h.events(EventType.USER_OFFLINE)).extracting(ChannelEvent::userId, ChannelEvent::socketId)
                .containsExactly(tuple("42", tab2.socketId()));
        assertThat(h.events(EventType.USER_OFFLINE).get(0).seq())
                .isGreaterThan(h.events(EventType.USER_ONLINE).get(0).seq());
        assertThat(h.events).extracting(ChannelEvent::type)
                .containsExactly(EventType.USER_ONLINE, EventType.USER_OFFLINE);
    }

    /**
     * The user's channel reaches every connection signed in as the user, subscribed or not, exactly once; nobody
     * else receives it or may subscribe to it, and the API sees it occupied exactly while the user is signed in.
     */
    @Test
    void serverToUserEventsReachEveryConnectionOfTheUserOnceWithoutASubscribe() {
        Client u42 = h.connect(0);
        Client u42b = h.connect(1);
        Client u43 = h.connect(1);
        Client anonymous = h.connect(0);
        assertThat(occupied("#server-to-user-42")).as("nobody signed in as 42 yet").isFalse();
        signedIn(u42, user("42"));
        signedIn(u42b, user("42"));
        signedIn(u43, user("43"));

        trigger("#server-to-user-42", "note", "first");
        for (Client c : List.of(u42, u42b)) {
            JsonNode got = c.expect("note", "#server-to-user-42");
            assertThat(got.get("data").asText()).isEqualTo("first");
            assertThat(c.unread()).isEmpty();
        }

        u42.subscribe("#server-to-user-42");
        assertThat(u42.expect("pusher_internal:subscription_succeeded", "#server-to-user-42").get("data").asText())
                .isEqualTo("{}");
        trigger("#server-to-user-42", "note", "second");
        trigger("#server-to-user-42", "note", "third");
        for (Client c : List.of(u42, u42b)) {
            assertThat(c.unread()).as("each event once, subscribed (u42) or not (u42b)")
                    .extracting(m -> m.get("event").asText() + " " + m.get("data").asText())
                    .containsExactly("note second", "note third");
            c.skipAll();
        }

        anonymous.subscribe("#server-to-user-42");
        JsonNode error = anonymous.expect("pusher:error");
        assertThat(error.path("data").path("code").isNull()).isTrue();
        assertThat(data(anonymous.expect("pusher:subscription_error", "#server-to-user-42")).path("status").asInt())
                .isEqualTo(403);
        u43.subscribe("#server-to-user-42");
        u43.expect("pusher:error");
        assertThat(data(u43.expect("pusher:subscription_error", "#server-to-user-42")).path("status").asInt())
                .isEqualTo(403);
        trigger("#server-to-user-42", "note", "fourth");
        assertThat(anonymous.unread()).as("not signed in: nothing").isEmpty();
        assertThat(u43.unread()).as("signed in as another user: nothing").isEmpty();
        assertThat(u42.unread()).hasSize(1);

        assertThat(occupied("#server-to-user-42")).isTrue();
        u42.disconnect();
        assertThat(occupied("#server-to-user-42")).as("u42b is still signed in as 42").isTrue();
        u42b.disconnect();
        assertThat(occupied("#server-to-user-42")).isFalse();
        assertThat(occupied("#server-to-user-43")).isTrue();
    }

    @Test
    void aForgedSigninSignatureClosesTheConnectionWith4009() {
        Client c = h.connect(0);
        c.send(Messages.signinMessage("key-1:" + "0".repeat(64), user("42")));
        assertThat(c.session.isOpen()).isFalse();
        assertThat(c.session.closeCode).isEqualTo(4009);
        assertThat(c.unread("pusher:signin_success")).isEmpty();
        assertThat(h.events(EventType.USER_ONLINE)).isEmpty();
        assertThat(occupied("#server-to-user-42")).isFalse();
    }

    @Test
    void signingInAsAnotherUserIsRefusedAndTheFirstIdentityStays() {
        Client c = h.connect(0);
        signedIn(c, user("42"));
        c.signin(user("43"));
        JsonNode error = c.expect("pusher:error");
        assertThat(error.path("data").path("code").isNull()).isTrue();
        assertThat(error.path("data").path("message").asText()).contains("different user");
        assertThat(c.unread()).isEmpty();
        assertThat(c.session.isOpen()).isTrue();
        assertThat(c.conn.userId()).isEqualTo("42");

        trigger("#server-to-user-43", "for-43", "x");
        trigger("#server-to-user-42", "for-42", "y");
        assertThat(c.unread()).extracting(m -> m.get("event").asText()).containsExactly("for-42");
        assertThat(h.events(EventType.USER_ONLINE)).extracting(ChannelEvent::userId).containsExactly("42");
        assertThat(occupied("#server-to-user-43")).isFalse();
    }

    @Test
    void malformedUserDataIsANonFatalErrorAndChangesNothing() {
        Client c = h.connect(0);
        List<String> malformed = List.of(
                "not json",
                "[\"an\",\"array\"]",
                "{\"id\":42}",
                "{\"id\":\"\"}",
                "{\"id\":\"has space\"}",
                "{\"name\":\"no id\"}",
                "{\"id\":\"w\",\"watchlist\":\"a\"}",
                "{\"id\":\"w\",\"watchlist\":[1,2]}",
                "{\"id\":\"w\",\"user_info\":\"not an object\"}");
        for (String userData : malformed) {
            c.signin(userData); // correctly signed: only the content is wrong
            JsonNode error = c.expect("pusher:error");
            assertThat(error.path("data").has("code")).as("code present for %s", userData).isTrue();
            assertThat(error.path("data").path("code").isNull()).as("code null for %s", userData).isTrue();
            assertThat(error.path("data").path("message").asText()).as("message for %s", userData)
                    .startsWith("Invalid user_data");
            assertThat(c.unread()).as("nothing else for %s", userData).isEmpty();
            assertThat(c.session.isOpen()).as("still open after %s", userData).isTrue();
        }
        assertThat(c.conn.userId()).isNull();
        assertThat(h.events).isEmpty();

        c.signin(user("42")); // the connection is still usable
        c.expect("pusher:signin_success");
        assertThat(h.events(EventType.USER_ONLINE)).extracting(ChannelEvent::userId).containsExactly("42");
    }

    // ---- watchlist ----------------------------------------------------------------------------------------------

    /**
     * w learns its watchlist's status at signin, then each change. The change caused by a's signin on loop 0 is
     * written to w on w's own loop 1: nothing reaches w until loop 1 runs.
     */
    @Test
    void watchersLearnTheStatusAtSigninAndEachChangeOnTheirOwnLoop() {
        Client w = h.connect(1);
        w.signin(watcher("w", "a", "b"));
        w.expect("pusher:signin_success");
        assertThat(w.next().toString()).isEqualTo(watchlistEvents(
                "{\"name\":\"offline\",\"user_ids\":[\"a\",\"b\"]}"));
        assertThat(w.unread()).isEmpty();

        Client a = h.connect(0);
        a.queue(signinMessage(a, user("a")));
        h.loops.get(0).runPending();
        a.expect("pusher:signin_success");
        assertThat(h.events(EventType.USER_ONLINE)).extracting(ChannelEvent::userId).contains("a");
        assertThat(w.unread()).as("nothing written to w off its loop").isEmpty();
        assertThat(h.loops.get(1).pending()).as("the notification waits on w's loop").isPositive();
        h.loops.get(1).runPending();
        assertThat(w.next().toString()).isEqualTo(watchlistEvents("{\"name\":\"online\",\"user_ids\":[\"a\"]}"));
        h.runAll();
        assertThat(w.unread()).isEmpty();

        Client a2 = h.connect(1);
        a2.signin(user("a"));
        a2.expect("pusher:signin_success");
        assertThat(w.unread()).as("a is online already: no second announcement").isEmpty();
        a.disconnect();
        assertThat(w.unread()).as("a2 is still signed in").isEmpty();
        a2.disconnect();
        assertThat(w.next().toString()).isEqualTo(watchlistEvents("{\"name\":\"offline\",\"user_ids\":[\"a\"]}"));
        assertThat(w.unread()).isEmpty();
    }

    @Test
    void aWatchlistOverTheLimitIsCutToTheFirstIdsWithA4302Error() {
        reconfigure("max_watchlist_size: 2");
        Client w = h.connect(0);
        w.signin(watcher("w", "a", "b", "c"));
        w.expect("pusher:signin_success");
        JsonNode error = w.expect("pusher:error");
        assertThat(error.path("data").path("code").asInt()).isEqualTo(4302);
        assertThat(w.next().toString()).isEqualTo(watchlistEvents(
                "{\"name\":\"offline\",\"user_ids\":[\"a\",\"b\"]}"));
        assertThat(w.session.isOpen()).isTrue();
        assertThat(w.conn.watchlist()).containsExactly("a", "b");

        Client c = h.connect(1);
        signedIn(c, user("c"));
        assertThat(w.unread()).as("c is beyond the limit: not watched").isEmpty();
        Client b = h.connect(1);
        signedIn(b, user("b"));
        assertThat(w.next().toString()).isEqualTo(watchlistEvents("{\"name\":\"online\",\"user_ids\":[\"b\"]}"));
    }

    @Test
    void watchingYourselfAnnouncesYouOnlineOnce() {
        Client w = h.connect(0);
        w.signin(watcher("w", "w", "x"));
        w.expect("pusher:signin_success");
        assertThat(w.next().toString()).isEqualTo(watchlistEvents(
                "{\"name\":\"online\",\"user_ids\":[\"w\"]},{\"name\":\"offline\",\"user_ids\":[\"x\"]}"));
        assertThat(w.unread()).isEmpty();

        Client w2 = h.connect(1);
        w2.signin(watcher("w", "w"));
        w2.expect("pusher:signin_success");
        assertThat(w2.next().toString()).isEqualTo(watchlistEvents("{\"name\":\"online\",\"user_ids\":[\"w\"]}"));
        assertThat(w2.unread()).isEmpty();
        assertThat(w.unread()).as("w was online already").isEmpty();
        assertThat(h.events(EventType.USER_ONLINE)).extracting(ChannelEvent::userId).containsExactly("w");

        w.disconnect();
        assertThat(w2.unread()).as("w2 itself keeps w online").isEmpty();
    }

    // ---- terminate_connections ----------------------------------------------------------------------------------

    @Test
    void terminateConnectionsClosesTheUsersSignedInAndPresenceConnectionsOnly() {
        Client signed1 = h.connect(0);
        Client signed2 = h.connect(1);
        Client member = h.connect(0);
        Client observer = h.connect(1);
        Client otherUser = h.connect(0);
        Client otherMember = h.connect(1);
        Client anonymous = h.connect(0);
        signedIn(signed1, user("t"));
        signedIn(signed2, user("t"));
        member.join("presence-x", "t", null); // no signin: a presence identity only
        observer.join("presence-x", "obs", null);
        otherMember.join("presence-x", "t2", null);
        signedIn(otherUser, user("t-other"));
        anonymous.subscribe("news");
        observer.skipAll();
        otherMember.skipAll();

        ApiResponse r = h.api("POST", "/users/t/terminate_connections", "{}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(CoreHarness.json(r.body()).toString()).isEqualTo("{}");

        for (Client c : List.of(signed1, signed2, member)) {
            assertThat(c.session.closeCode).as("close code of %s", c.socketId()).isEqualTo(4009);
        }
        for (Client c : List.of(observer, otherUser, otherMember, anonymous)) {
            assertThat(c.session.isOpen()).as("%s stays open", c.socketId()).isTrue();
            assertThat(c.session.closeCode).isNull();
        }
        assertThat(observer.unread()).extracting(m -> m.get("event").asText() + " " + data(m).get("user_id").asText())
                .containsExactly("pusher_internal:member_removed t");
        assertThat(CoreHarness.json(h.api("GET", "/channels/presence-x/users", null).body()).toString())
                .isEqualTo("{\"users\":[{\"id\":\"obs\"},{\"id\":\"t2\"}]}");
        assertThat(h.events(EventType.USER_OFFLINE)).extracting(ChannelEvent::userId).containsExactly("t");
        assertThat(occupied("#server-to-user-t")).isFalse();
        assertThat(h.core.connections().count()).isEqualTo(4);
    }

    // ---- authorized connections and the quota -------------------------------------------------------------------

    @Test
    void withRequireAuthorizationAnUnauthorizedConnectionIsClosedAfterTheTimeout() {
        reconfigure("require_authorization: true", "authorization_timeout: 5");
        Client idle = h.connect(0);
        Client publicOnly = h.connect(1);
        Client privateSub = h.connect(0);
        Client signed = h.connect(1);
        Client presence = h.connect(0);
        Client otherApp = h.connect("key-2", 1);
        publicOnly.subscribe("news");
        privateSub.subscribe("private-x");
        privateSub.expect("pusher_internal:subscription_succeeded", "private-x");
        signedIn(signed, user("s"));
        presence.join("presence-p", "p", null);

        h.advance(4, TimeUnit.SECONDS);
        for (Client c : List.of(idle, publicOnly, privateSub, signed, presence, otherApp)) {
            assertThat(c.session.isOpen()).as("%s open after 4 s", c.socketId()).isTrue();
        }
        h.advance(1, TimeUnit.SECONDS);
        assertThat(idle.session.closeCode).isEqualTo(4009);
        assertThat(publicOnly.session.closeCode).as("a public channel does not authorize").isEqualTo(4009);
        for (Client c : List.of(privateSub, signed, presence, otherApp)) {
            assertThat(c.session.isOpen()).as("%s open after 5 s", c.socketId()).isTrue();
        }
        h.advance(60, TimeUnit.SECONDS);
        for (Client c : List.of(privateSub, signed, presence, otherApp)) {
            assertThat(c.session.isOpen()).as("%s still open later", c.socketId()).isTrue();
        }
    }

    @Test
    void aConnectionOverTheAppsQuotaIsRefusedWith4100UntilASlotIsFree() {
        reconfigure("max_connections: 2");
        Client first = h.connect(0);
        Client second = h.connect(1);
        Client third = h.connect(0);
        assertThat(first.conn).isNotNull();
        assertThat(second.conn).isNotNull();
        assertThat(third.conn).isNull();
        assertThat(third.session.closeCode).isEqualTo(4100);
        assertThat(third.session.received()).as("no connection_established").isEmpty();
        Client otherApp = h.connect("key-2", 1);
        assertThat(otherApp.conn).as("the quota is per app").isNotNull();

        first.disconnect();
        Client fourth = h.connect(1);
        assertThat(fourth.conn).isNotNull();
        assertThat(fourth.session.isOpen()).isTrue();
        assertThat(fourth.session.closeCode).isNull();
        Client fifth = h.connect(0);
        assertThat(fifth.session.closeCode).isEqualTo(4100);
    }
}
