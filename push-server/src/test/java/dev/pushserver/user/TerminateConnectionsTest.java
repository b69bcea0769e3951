package dev.pushserver.user;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.subscribeWithoutAuth;
import static dev.pushserver.user.UserTestKit.api;
import static dev.pushserver.user.UserTestKit.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.testing.ConnectionRecorder;
import dev.pushserver.testing.TestServer;
import dev.pushserver.user.UserTestKit.Conn;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code POST /apps/{id}/users/{user_id}/terminate_connections} (reference §4.7, §2.8). */
class TerminateConnectionsTest {

    static final String KEY = "key-1";
    static final String SECRET = "secret-1";

    static final String APPS = apps(
            app(1),
            app(2));

    @RegisterExtension
    final TestServer server = TestServer.perTest(APPS);

    private JsonNode terminate(String appId, String key, String secret, String userId) throws Exception {
        return ok(api(server, appId, key, secret).post("/users/" + userId + "/terminate_connections", "{}"));
    }

    @Test
    void closesEverySignedInConnectionOfTheUserWith4009AndLeavesOthersAlone() throws Exception {
        try (Conn a1 = Conn.open(server, KEY); Conn a2 = Conn.open(server, KEY); Conn a3 = Conn.open(server, KEY);
                Conn other = Conn.open(server, KEY); Conn anon = Conn.open(server, KEY);
                Conn otherApp = Conn.open(server, "key-2")) {
            a1.signin(KEY, SECRET, "{\"id\":\"42\"}");
            a2.signin(KEY, SECRET, "{\"id\":\"42\",\"user_info\":{\"n\":2}}");
            a3.signin(KEY, SECRET, "{\"id\":\"42\"}");
            a3.send(subscribeWithoutAuth("news"));
            a3.expect("pusher_internal:subscription_succeeded", "news");
            other.signin(KEY, SECRET, "{\"id\":\"43\"}");
            anon.send(subscribeWithoutAuth("news"));
            anon.expect("pusher_internal:subscription_succeeded", "news");
            otherApp.signin("key-2", "secret-2", "{\"id\":\"42\"}");

            assertThat(terminate("app-1", KEY, SECRET, "42").toString()).isEqualTo("{}");

            for (Conn c : List.of(a1, a2, a3)) {
                JsonNode err = c.expect("pusher:error", null);
                assertThat(err.get("data").get("code").isNumber()).as("numeric code: %s", err).isTrue();
                assertThat(err.get("data").get("code").asInt()).isEqualTo(4009);
                assertThat(c.ws().closeCode(10)).as("close code").isEqualTo(4009);
            }
            for (Conn c : List.of(other, anon, otherApp)) {
                c.expectOnlyPong();
                assertThat(c.ws().isOpen()).isTrue();
            }
            // a new connection may sign in as 42 again: terminating is not banning
            try (Conn again = Conn.open(server, KEY)) {
                again.signin(KEY, SECRET, "{\"id\":\"42\"}");
                again.expectOnlyPong();
            }
        }
    }

    @Test
    void presenceOnlyIdentityWithoutSigninIsTerminatedToo() throws Exception {
        // Beyond Pusher (reference §4.7 closes signed-in connections only): issue #4 asks for the connections of
        // a presence user_id too, so apps that use presence without signin (e.g. Laravel) can remove a user.
        try (Conn signedIn = Conn.open(server, KEY); Conn presenceOnly = Conn.open(server, KEY);
                Conn other = Conn.open(server, KEY)) {
            signedIn.signin(KEY, SECRET, "{\"id\":\"42\"}");
            presenceOnly.send(subscribePresence(KEY, SECRET, presenceOnly.socketId(), "presence-room",
                    "{\"user_id\":\"42\"}"));
            presenceOnly.expect("pusher_internal:subscription_succeeded", "presence-room");
            other.send(subscribePresence(KEY, SECRET, other.socketId(), "presence-room", "{\"user_id\":\"43\"}"));
            other.expect("pusher_internal:subscription_succeeded", "presence-room");

            terminate("app-1", KEY, SECRET, "42");

            assertThat(signedIn.ws().closeCode(10)).isEqualTo(4009);
            assertThat(presenceOnly.ws().closeCode(10)).isEqualTo(4009);
            assertThat(other.ws().isOpen()).isTrue();
        }
    }

    @Test
    void watchersSeeTheTerminatedUserGoOffline() throws Exception {
        try (Conn watcher = Conn.open(server, KEY); Conn u1 = Conn.open(server, KEY); Conn u2 = Conn.open(server, KEY)) {
            u1.signin(KEY, SECRET, "{\"id\":\"42\"}");
            u2.signin(KEY, SECRET, "{\"id\":\"42\"}");
            watcher.signin(KEY, SECRET, "{\"id\":\"W\",\"watchlist\":[\"42\"]}");
            JsonNode initial = watcher.expect("pusher_internal:watchlist_events", null);
            assertThat(UserTestKit.data(initial).toString())
                    .isEqualTo("{\"events\":[{\"name\":\"online\",\"user_ids\":[\"42\"]}]}");

            terminate("app-1", KEY, SECRET, "42");

            JsonNode offline = watcher.expect("pusher_internal:watchlist_events", null);
            assertThat(UserTestKit.data(offline).toString())
                    .isEqualTo("{\"events\":[{\"name\":\"offline\",\"user_ids\":[\"42\"]}]}");
            watcher.expectOnlyPong();
        }
    }

    @Test
    void unknownUserIsA200NoOp() throws Exception {
        try (Conn c = Conn.open(server, KEY)) {
            c.signin(KEY, SECRET, "{\"id\":\"42\"}");
            assertThat(terminate("app-1", KEY, SECRET, "nobody").toString()).isEqualTo("{}");
            c.expectQuiet(200);
        }
    }

    @Test
    void javaClientEndsDisconnectedAndDoesNotReconnect() throws Exception {
        String userData = "{\"id\":\"42\"}";
        Pusher client = server.pusherClient(KEY, null, UserTestKit.userAuthenticator(KEY, SECRET, userData));
        Pusher bystander = server.pusherClient(KEY, null,
                UserTestKit.userAuthenticator(KEY, SECRET, "{\"id\":\"43\"}"));
        ConnectionRecorder connection = new ConnectionRecorder();
        List<ConnectionState> states = connection.states();
        try {
            client.connect(connection, ConnectionState.ALL);
            UserTestKit.connectAndWait(bystander);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED);
            client.signin();
            bystander.signin();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "42".equals(client.user().userId())
                    && "43".equals(bystander.user().userId()));

            terminate("app-1", KEY, SECRET, "42");

            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.getConnection().getState() == ConnectionState.DISCONNECTED);
            connection.awaitCode("4009");
            // a reconnect would go through RECONNECTING right away; give it the Java client's first back-off
            Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> client.getConnection().getState() == ConnectionState.DISCONNECTED);
            assertThat(states).doesNotContain(ConnectionState.RECONNECTING);
            assertThat(bystander.getConnection().getState()).isEqualTo(ConnectionState.CONNECTED);
        } finally {
            UserTestKit.disconnectQuietly(client);
            UserTestKit.disconnectQuietly(bystander);
        }
    }
}
