package dev.pushserver.user;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.signin;
import static dev.pushserver.testing.Messages.signinMessage;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Messages.subscribeWithoutAuth;
import static dev.pushserver.testing.Signing.channelAuth;
import static dev.pushserver.testing.Signing.hmacSha256Hex;
import static dev.pushserver.user.UserTestKit.api;
import static dev.pushserver.user.UserTestKit.data;
import static dev.pushserver.user.UserTestKit.ok;
import static dev.pushserver.user.UserTestKit.triggerBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.channel.PusherEvent;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.testing.ConnectionRecorder;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.Signing;
import dev.pushserver.testing.TestServer;
import dev.pushserver.user.UserTestKit.Conn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * User authentication: {@code pusher:signin} / {@code pusher:signin_success} (reference §2.8), the
 * {@code #server-to-user-<id>} channel and server-to-user events, and presence identities taken from the signin.
 */
class SigninTest {

    static final String KEY = "key-1";
    static final String SECRET = "secret-1";
    static final String USER_42 = "{\"id\":\"42\",\"user_info\":{\"name\":\"A\"}}";

    static final String APPS = apps(
            app(1, "enable_client_messages: true"),
            app(2, "enable_user_authentication: false"));

    @RegisterExtension
    final TestServer server = TestServer.perTest(APPS);

    @Test
    void rawSigninSucceedsAndEchoesTheExactUserDataString() throws Exception {
        try (Conn c = Conn.open(server, KEY)) {
            // unusual spacing and key order: the server must echo the exact string it verified, not a re-encoding
            String userData = "{ \"user_info\" : {\"name\":\"A\"},\"id\":\"42\" }";
            c.send(signin(KEY, SECRET, c.socketId(), userData));
            JsonNode m = c.expect("pusher:signin_success", null);
            assertThat(m.get("data").isObject()).as("signin_success data is an object: %s", m).isTrue();
            assertThat(m.get("data").get("user_data").isTextual()).as("user_data is a string: %s", m).isTrue();
            assertThat(m.get("data").get("user_data").asText()).isEqualTo(userData);
            c.expectOnlyPong();
        }
    }

    @Test
    void signinDataMayAlsoBeAJsonEncodedString() throws Exception {
        // reference §1.3 REC: accept data as an object or as a JSON-encoded string on client->server events
        try (Conn c = Conn.open(server, KEY)) {
            com.fasterxml.jackson.databind.node.ObjectNode d = UserTestKit.JSON.createObjectNode();
            d.put("auth", Signing.userAuth(KEY, SECRET, c.socketId(), USER_42));
            d.put("user_data", USER_42);
            com.fasterxml.jackson.databind.node.ObjectNode m = UserTestKit.JSON.createObjectNode();
            m.put("event", "pusher:signin");
            m.put("data", d.toString());
            c.send(m.toString());
            JsonNode okMsg = c.expect("pusher:signin_success", null);
            assertThat(okMsg.get("data").get("user_data").asText()).isEqualTo(USER_42);
        }
    }

    @Test
    void javaClientSignsInSubscribesToItsUserChannelAndReceivesServerToUserEvents() throws Exception {
        Pusher client = server.pusherClient(KEY, null, UserTestKit.userAuthenticator(KEY, SECRET, USER_42));
        ConnectionRecorder connection = new ConnectionRecorder();
        try {
            client.connect(connection, ConnectionState.ALL);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED);
            BlockingQueue<PusherEvent> got = new LinkedBlockingQueue<>();
            client.user().bind("evt", got::add);
            client.signin();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "42".equals(client.user().userId()));

            com.pusher.rest.Pusher sdk = api(server, "app-1", KEY, SECRET);
            // the client subscribes to #server-to-user-42 on its own after signin_success
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    ok(sdk.get("/channels/#server-to-user-42", Map.of())).path("occupied").asBoolean());

            assertThat(ok(sdk.post("/events", triggerBody("#server-to-user-43", "evt", "{\"for\":\"43\"}")))
                    .toString()).isEqualTo("{}");
            assertThat(ok(sdk.post("/events", triggerBody("#server-to-user-42", "evt", "{\"for\":\"42\"}")))
                    .toString()).isEqualTo("{}");
            PusherEvent e = got.poll(10, TimeUnit.SECONDS);
            assertThat(e).as("server-to-user event on pusher.user()").isNotNull();
            assertThat(e.getEventName()).isEqualTo("evt");
            assertThat(e.getChannelName()).isEqualTo("#server-to-user-42");
            assertThat(e.getData()).isEqualTo("{\"for\":\"42\"}");
            assertThat(got.poll(300, TimeUnit.MILLISECONDS)).as("only 42's event").isNull();
            assertThat(connection.errors()).as("pusher:error seen by the Java client").isEmpty();
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }

    @Test
    void javaClientWithForgedSignatureIsDisconnectedFor4009() throws Exception {
        Pusher client = server.pusherClient(KEY, null,
                UserTestKit.userAuthenticator(KEY, "not-the-secret", USER_42));
        ConnectionRecorder connection = new ConnectionRecorder();
        List<ConnectionState> states = connection.states();
        try {
            client.connect(connection, ConnectionState.ALL);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED);
            client.signin();
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.getConnection().getState() == ConnectionState.DISCONNECTED);
            connection.awaitCode("4009");
            assertThat(states).doesNotContain(ConnectionState.RECONNECTING);
            assertThat(client.user().userId()).isNull();
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"wrong-signature", "wrong-key", "other-socket", "uppercase-user-marker"})
    void badSigninSignatureGets4009ErrorAndClose(String variant) throws Exception {
        try (Conn c = Conn.open(server, KEY)) {
            String auth = switch (variant) {
                case "wrong-signature" -> KEY + ":" + hmacSha256Hex("secret-2", c.socketId() + "::user::" + USER_42);
                case "wrong-key" -> "key-2:" + hmacSha256Hex(SECRET, c.socketId() + "::user::" + USER_42);
                case "other-socket" -> KEY + ":" + hmacSha256Hex(SECRET, "1234.5678::user::" + USER_42);
                default -> KEY + ":" + hmacSha256Hex(SECRET, c.socketId() + "::USER::" + USER_42);
            };
            c.send(signinMessage(auth, USER_42));
            JsonNode err = c.expect("pusher:error", null);
            assertThat(err.get("data").get("code").isNumber()).as("numeric code: %s", err).isTrue();
            assertThat(err.get("data").get("code").asInt()).isEqualTo(4009);
            assertThat(err.get("data").get("message").isTextual()).isTrue();
            assertThat(c.ws().closeCode(10)).isEqualTo(4009);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"name\":\"x\"}", "{\"id\":42}", "{\"id\":\"a b\"}", "{\"id\":\"a#b\"}",
        "{\"id\":\"\"}", "[\"42\"]", "{\"id\":null}", "\"42\""})
    void invalidUserDataGetsNonFatalErrorAndConnectionStaysUsable(String userData) throws Exception {
        try (Conn c = Conn.open(server, KEY)) {
            c.send(signin(KEY, SECRET, c.socketId(), userData));
            JsonNode err = c.expect("pusher:error", null);
            assertThat(err.get("data").has("code")).isTrue();
            assertThat(err.get("data").get("code").isNull()).as("code null: %s", err).isTrue();
            assertThat(err.get("data").get("message").isTextual()).isTrue();
            c.expectOnlyPong();
            // not signed in: the user channel stays closed to it
            c.send(subscribe("#server-to-user-42", null, null));
            c.expectRejected("#server-to-user-42");
            // and a valid signin still works on the same connection
            c.signin(KEY, SECRET, USER_42);
            assertThat(c.ws().isOpen()).isTrue();
        }
    }

    @Test
    void signinAsADifferentUserOnTheSameConnectionIsRejected() throws Exception {
        try (Conn c = Conn.open(server, KEY)) {
            c.signin(KEY, SECRET, USER_42);
            c.send(signin(KEY, SECRET, c.socketId(), "{\"id\":\"43\"}"));
            JsonNode err = c.expect("pusher:error", null);
            assertThat(err.get("data").get("code").isNull()).as("non-fatal: %s", err).isTrue();
            c.expectOnlyPong();
            // still 42, not 43
            c.send(subscribe("#server-to-user-43", null, null));
            c.expectRejected("#server-to-user-43");
            c.send(subscribe("#server-to-user-42", null, null));
            JsonNode okMsg = c.expect("pusher_internal:subscription_succeeded", "#server-to-user-42");
            assertThat(okMsg.get("data").asText()).isEqualTo("{}");
        }
    }

    @Test
    void signinRejectedWhenUserAuthenticationIsDisabled() throws Exception {
        try (Conn c = Conn.open(server, "key-2")) {
            c.send(signin("key-2", "secret-2", c.socketId(), USER_42));
            JsonNode err = c.expect("pusher:error", null);
            assertThat(err.get("data").get("code").isNull()).as("non-fatal: %s", err).isTrue();
            c.expectOnlyPong();
            c.send(subscribe("#server-to-user-42", null, null));
            c.expectRejected("#server-to-user-42");
        }
    }

    @Test
    void userChannelIsOnlyForTheConnectionSignedInAsThatUser() throws Exception {
        try (Conn anon = Conn.open(server, KEY); Conn other = Conn.open(server, KEY);
                Conn anonWithAuth = Conn.open(server, KEY); Conn owner = Conn.open(server, KEY)) {
            anon.send(subscribe("#server-to-user-42", null, null));
            anon.expectRejected("#server-to-user-42");

            other.signin(KEY, SECRET, "{\"id\":\"43\"}");
            other.send(subscribe("#server-to-user-42", null, null));
            other.expectRejected("#server-to-user-42");

            // a channel signature does not open it either
            anonWithAuth.send(subscribeSigned(KEY, SECRET, anonWithAuth.socketId(), "#server-to-user-42"));
            anonWithAuth.expectRejected("#server-to-user-42");

            owner.signin(KEY, SECRET, USER_42);
            owner.send(subscribe("#server-to-user-42", null, null));
            JsonNode okMsg = owner.expect("pusher_internal:subscription_succeeded", "#server-to-user-42");
            assertThat(okMsg.get("data").isTextual()).isTrue();
            assertThat(okMsg.get("data").asText()).isEqualTo("{}");

            com.pusher.rest.Pusher sdk = api(server, "app-1", KEY, SECRET);
            ok(sdk.post("/events", triggerBody("#server-to-user-42", "note", "x-y-z")));
            JsonNode ev = owner.expect("note", "#server-to-user-42");
            assertThat(ev.get("data").asText()).isEqualTo("x-y-z");
            for (Conn c : List.of(anon, other, anonWithAuth)) {
                c.expectQuiet(200);
            }
        }
    }

    /**
     * Reference §2.8: server-to-user events reach every connection signed in as the user, whether or not it sent
     * the internal subscribe (a client that signs in and gets an event at once must not miss it), each exactly once.
     */
    @Test
    void serverToUserEventsReachEverySignedInConnectionOnceWithOrWithoutTheSubscribe() throws Exception {
        try (Conn quiet = Conn.open(server, KEY); Conn subscribed = Conn.open(server, KEY)) {
            quiet.signin(KEY, SECRET, USER_42); // never subscribes to #server-to-user-42
            subscribed.signin(KEY, SECRET, USER_42);
            subscribed.send(subscribe("#server-to-user-42", "", null));
            subscribed.expect("pusher_internal:subscription_succeeded", "#server-to-user-42");

            com.pusher.rest.Pusher sdk = api(server, "app-1", KEY, SECRET);
            ok(sdk.post("/events", triggerBody("#server-to-user-42", "first", "1")));
            ok(sdk.post("/events", triggerBody("#server-to-user-42", "second", "2")));
            for (Conn c : List.of(quiet, subscribed)) {
                assertThat(c.expect("first", "#server-to-user-42").get("data").asText()).isEqualTo("1");
                assertThat(c.expect("second", "#server-to-user-42").get("data").asText()).isEqualTo("2");
                c.expectOnlyPong(); // nothing twice
            }
        }
    }

    @Test
    void presenceSubscribeWithoutChannelDataTakesIdentityAndInfoFromSignin() throws Exception {
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY)) {
            a.signin(KEY, SECRET, USER_42);
            a.send(subscribeSigned(KEY, SECRET, a.socketId(), "presence-room"));
            JsonNode okA = a.expect("pusher_internal:subscription_succeeded", "presence-room");
            JsonNode presence = data(okA).get("presence");
            assertThat(presence.get("ids").toString()).isEqualTo("[\"42\"]");
            assertThat(presence.get("hash").toString()).isEqualTo("{\"42\":{\"name\":\"A\"}}");
            assertThat(presence.get("count").asInt()).isEqualTo(1);

            String bData = "{\"user_id\":\"7\",\"user_info\":{\"name\":\"B\"}}";
            b.send(subscribePresence(KEY, SECRET, b.socketId(), "presence-room", bData));
            JsonNode okB = b.expect("pusher_internal:subscription_succeeded", "presence-room");
            JsonNode pb = data(okB).get("presence");
            assertThat(pb.get("count").asInt()).isEqualTo(2);
            assertThat(pb.get("hash").get("42").toString()).isEqualTo("{\"name\":\"A\"}");
            assertThat(pb.get("hash").get("7").toString()).isEqualTo("{\"name\":\"B\"}");

            JsonNode added = a.expect("pusher_internal:member_added", "presence-room");
            assertThat(data(added).get("user_id").asText()).isEqualTo("7");

            JsonNode users = ok(api(server, "app-1", KEY, SECRET).get("/channels/presence-room/users", Map.of()));
            List<String> ids = new ArrayList<>();
            users.get("users").forEach(u -> ids.add(u.get("id").asText()));
            assertThat(ids).containsExactlyInAnyOrder("42", "7");

            // client events on presence carry the signed-in id
            a.send(Messages.clientEventWithStringData("client-hi", "presence-room", "{}"));
            JsonNode relayed = b.expect("client-hi", "presence-room");
            assertThat(relayed.get("user_id").asText()).isEqualTo("42");
        }
    }

    @Test
    void presenceChannelDataOverridesTheSigninIdentity() throws Exception {
        try (Conn a = Conn.open(server, KEY)) {
            a.signin(KEY, SECRET, USER_42);
            String cd = "{\"user_id\":\"51\",\"user_info\":{\"name\":\"Z\"}}";
            a.send(subscribePresence(KEY, SECRET, a.socketId(), "presence-room", cd));
            JsonNode okA = a.expect("pusher_internal:subscription_succeeded", "presence-room");
            JsonNode presence = data(okA).get("presence");
            assertThat(presence.get("ids").toString()).isEqualTo("[\"51\"]");
            assertThat(presence.get("hash").toString()).isEqualTo("{\"51\":{\"name\":\"Z\"}}");
        }
    }

    @Test
    void presenceWithoutChannelDataNeedsASignedInConnection() throws Exception {
        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribeSigned(KEY, SECRET, a.socketId(), "presence-room"));
            a.expectRejected("presence-room");
            // once signed in, the same kind of signature (socket:channel) is accepted
            a.signin(KEY, SECRET, "{\"id\":\"9\"}");
            a.send(subscribeSigned(KEY, SECRET, a.socketId(), "presence-room"));
            JsonNode okA = a.expect("pusher_internal:subscription_succeeded", "presence-room");
            assertThat(data(okA).get("presence").get("hash").toString()).isEqualTo("{\"9\":null}");
            // a public subscribe is unaffected by signin
            a.send(subscribeWithoutAuth("news"));
            a.expect("pusher_internal:subscription_succeeded", "news");
            // and a wrong presence signature is still refused for a signed-in user
            a.send(subscribe("presence-other", channelAuth(KEY, "bad", a.socketId(), "presence-other", null), null));
            a.expectRejected("presence-other");
        }
    }
}
