package dev.pushserver.user;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Messages.subscribeWithoutAuth;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionEventListener;
import com.pusher.client.connection.ConnectionState;
import com.pusher.client.connection.ConnectionStateChange;
import dev.pushserver.testing.ConnectionRecorder;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.TestServer;
import dev.pushserver.user.UserTestKit.Conn;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Authorized connections (reference §2.8, DOC-CH authorized-connections.md): with {@code require_authorization} a
 * connection must sign in or subscribe to a private or presence channel within {@code authorization_timeout}, or it
 * is closed with 4009.
 */
class AuthorizedConnectionsTest {

    static final String KEY = "key-1";
    static final String SECRET = "secret-1";

    static final String APPS = apps(
            app(1, "require_authorization: true", "authorization_timeout: 1"),
            app(2, "authorization_timeout: 1"));

    @RegisterExtension
    final TestServer server = TestServer.perTest(APPS);

    /** The connection gets pusher:error 4009 and a 4009 close, not much before the 1 s timeout. */
    private static void expectKicked(String what, Conn c, long openedAtNanos) throws Exception {
        JsonNode err = c.nextEvent("pusher:error");
        while (err.get("data").get("code").isNull()) {
            err = c.nextEvent("pusher:error"); // skip a non-fatal error (e.g. a refused subscribe)
        }
        long elapsedMs = (System.nanoTime() - openedAtNanos) / 1_000_000;
        assertThat(err.get("data").get("code").isNumber()).as("%s: numeric code: %s", what, err).isTrue();
        assertThat(err.get("data").get("code").asInt()).as(what).isEqualTo(4009);
        assertThat(elapsedMs).as("%s kicked after the timeout, not before", what).isGreaterThanOrEqualTo(900);
        assertThat(c.ws().closeCode(10)).as("%s close code", what).isEqualTo(4009);
    }

    // The cases run side by side on separate connections so the class waits for the 1 s timeout only twice.

    @Test
    void connectionsThatNeitherSignInNorSubscribeToAPrivateChannelAreClosedWith4009() throws Exception {
        long t0 = System.nanoTime();
        try (Conn idle = Conn.open(server, KEY); Conn publicOnly = Conn.open(server, KEY);
                Conn failedPrivate = Conn.open(server, KEY); Conn failedSignin = Conn.open(server, KEY)) {
            publicOnly.send(subscribeWithoutAuth("news"));
            publicOnly.expect("pusher_internal:subscription_succeeded", "news");
            failedPrivate.send(subscribe("private-x", "key-1:" + "0".repeat(64), null));
            failedSignin.send(Messages.signin(KEY, SECRET, failedSignin.socketId(), "{\"id\":42}"));
            expectKicked("idle", idle, t0);
            expectKicked("public subscriber", publicOnly, t0);
            expectKicked("refused private subscribe", failedPrivate, t0);
            expectKicked("refused signin", failedSignin, t0);
        }
    }

    @Test
    void signedInPrivateAndPresenceConnectionsStay() throws Exception {
        Pusher java = server.pusherClient(KEY, null,
                UserTestKit.userAuthenticator(KEY, SECRET, "{\"id\":\"7\"}"));
        java.connect(new ConnectionEventListener() {
            @Override
            public void onConnectionStateChange(ConnectionStateChange change) {
                if (change.getCurrentState() == ConnectionState.CONNECTED) {
                    java.signin(); // the official client's way to authorize a connection
                }
            }

            @Override
            public void onError(String message, String code, Exception e) {
            }
        }, ConnectionState.CONNECTED);
        try (Conn signedIn = Conn.open(server, KEY); Conn priv = Conn.open(server, KEY);
                Conn presence = Conn.open(server, KEY); Conn notRequired = Conn.open(server, "key-2")) {
            signedIn.signin(KEY, SECRET, "{\"id\":\"42\"}");
            priv.send(subscribeSigned(KEY, SECRET, priv.socketId(), "private-x"));
            priv.expect("pusher_internal:subscription_succeeded", "private-x");
            presence.send(subscribePresence(KEY, SECRET, presence.socketId(), "presence-x", "{\"user_id\":\"1\"}"));
            presence.expect("pusher_internal:subscription_succeeded", "presence-x");
            // app-2 has authorization_timeout 1 but require_authorization off: idle connections stay
            Awaitility.await().during(Duration.ofMillis(2000)).atMost(Duration.ofSeconds(5))
                    .until(() -> signedIn.ws().isOpen() && priv.ws().isOpen() && presence.ws().isOpen()
                            && notRequired.ws().isOpen());
            for (Conn c : List.of(signedIn, priv, presence, notRequired)) {
                c.expectOnlyPong();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "7".equals(java.user().userId()));
            Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> java.getConnection().getState() == ConnectionState.CONNECTED);
        } finally {
            UserTestKit.disconnectQuietly(java);
        }
    }

    @Test
    void javaClientThatNeverAuthorizesEndsDisconnected() throws Exception {
        Pusher client = server.pusherClient(KEY, null, null);
        ConnectionRecorder connection = new ConnectionRecorder();
        List<ConnectionState> states = connection.states();
        try {
            client.connect(connection, ConnectionState.ALL);
            client.subscribe("news");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> states.contains(ConnectionState.CONNECTED));
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.getConnection().getState() == ConnectionState.DISCONNECTED);
            connection.awaitCode("4009");
            assertThat(states).doesNotContain(ConnectionState.RECONNECTING);
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }
}
