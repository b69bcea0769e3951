package dev.pushserver.user;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pusher.client.Pusher;
import com.pusher.client.UserAuthenticator;
import com.pusher.client.connection.ConnectionState;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.Signing;
import dev.pushserver.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * Shared helpers for the user / cache / encrypted / subscription-count tests: the encrypted-channel shared secret,
 * raw connections with "nothing else arrives" checks, and official clients with a {@link UserAuthenticator}. Wire
 * messages and signatures are in {@link Messages} and {@link Signing}.
 */
public final class UserTestKit {

    public static final ObjectMapper JSON = RawClient.json();

    private UserTestKit() {
    }

    // ---- encrypted channels ----------------------------------------------------------------------------------

    /** base64(SHA-256(channel name bytes + master key bytes)), as the server SDKs derive it (reference §3.1). */
    public static byte[] sharedSecret(String channel, byte[] masterKey) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(channel.getBytes(StandardCharsets.UTF_8));
            d.update(masterKey);
            return d.digest();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- HTTP API bodies -----------------------------------------------------------------------------------------

    /** An HTTP API trigger body with data given as the exact string. */
    public static String triggerBody(String channel, String event, String data) {
        ObjectNode b = JSON.createObjectNode();
        b.put("name", event);
        b.putArray("channels").add(channel);
        b.put("data", data);
        return b.toString();
    }

    // ---- raw client conveniences -----------------------------------------------------------------------------

    /** A raw connection with its socket id read from connection_established. */
    public record Conn(RawClient ws, String socketId) implements AutoCloseable {

        public static Conn open(TestServer server, String key) throws Exception {
            RawClient c = RawClient.connect(server.wsUrl(key));
            return new Conn(c, c.socketId());
        }

        public void send(String text) {
            ws.send(text);
        }

        public JsonNode next() throws Exception {
            return ws.nextJson();
        }

        public JsonNode nextEvent(String event) throws Exception {
            return ws.nextEvent(event);
        }

        /** Next message, which must be this event (on this channel when channel is non-null). */
        public JsonNode expect(String event, String channel) throws Exception {
            JsonNode m = ws.nextJson();
            assertThat(m.path("event").asText()).as("next message: %s", m).isEqualTo(event);
            if (channel != null) {
                assertThat(m.path("channel").asText()).as("channel of %s", m).isEqualTo(channel);
            }
            return m;
        }

        /** Signs in with a valid signature and returns the signin_success message. */
        public JsonNode signin(String key, String secret, String userData) throws Exception {
            ws.send(Messages.signin(key, secret, socketId, userData));
            return expect("pusher:signin_success", null);
        }

        /**
         * Sends pusher:ping and asserts the next message is the pong: nothing else was queued on this connection
         * before it (the server handles one connection's messages in order).
         */
        public void expectOnlyPong() throws Exception {
            ws.send(Messages.PING);
            JsonNode m = ws.nextJson();
            assertThat(m.path("event").asText()).as("expected only pusher:pong, got %s", m).isEqualTo("pusher:pong");
        }

        /** Waits {@code millis} for anything that should not come, then checks with a ping that nothing did. */
        public void expectQuiet(long millis) throws Exception {
            String m = ws.next(millis);
            assertThat(m).as("unexpected message").isNull();
            expectOnlyPong();
        }

        /** A refused subscribe: pusher:error (code null) first, never subscription_succeeded, still open. */
        public void expectRejected(String channel) throws Exception {
            JsonNode err = ws.nextJson();
            assertThat(err.path("event").asText()).as("refusal of %s: %s", channel, err).isEqualTo("pusher:error");
            assertThat(err.get("data").get("code").isNull()).as("non-fatal: %s", err).isTrue();
            ws.send(Messages.PING);
            while (true) {
                JsonNode m = ws.nextJson();
                String ev = m.path("event").asText();
                if (ev.equals("pusher:pong")) {
                    break;
                }
                assertThat(ev).as("after refusing %s: %s", channel, m)
                        .isNotEqualTo("pusher_internal:subscription_succeeded");
            }
            assertThat(ws.isOpen()).isTrue();
        }

        /** Messages that arrive within {@code millis}. */
        public List<JsonNode> drain(long millis) throws Exception {
            List<JsonNode> out = new ArrayList<>();
            String m;
            while ((m = ws.next(millis)) != null) {
                out.add(JSON.readTree(m));
            }
            return out;
        }

        @Override
        public void close() {
            ws.close();
        }
    }

    /** {@code data} of a message as JSON whether it was sent as a string or an object. */
    public static JsonNode data(JsonNode message) throws IOException {
        JsonNode d = message.get("data");
        return d != null && d.isTextual() ? JSON.readTree(d.asText()) : d;
    }

    // ---- official clients ------------------------------------------------------------------------------------

    /** A user authenticator that signs {@code userData} for whatever socket asks, like an app backend would. */
    public static UserAuthenticator userAuthenticator(String key, String secret, String userData) {
        return socketId -> {
            ObjectNode r = JSON.createObjectNode();
            r.put("auth", Signing.userAuth(key, secret, socketId, userData));
            r.put("user_data", userData);
            return r.toString();
        };
    }

    public static void connectAndWait(Pusher client) {
        client.connect();
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED);
    }

    public static void disconnectQuietly(Pusher client) {
        try {
            client.disconnect();
        } catch (RuntimeException ignored) {
            // best effort in tests
        }
    }

    // ---- HTTP API -----------------------------------------------------------------------------------------------

    /** The official HTTP SDK for an app, with a generous timeout for a loaded machine. */
    public static com.pusher.rest.Pusher api(TestServer server, String appId, String key, String secret) {
        com.pusher.rest.Pusher p = server.httpClient(appId, key, secret);
        p.setRequestTimeout(20_000);
        return p;
    }

    /** Asserts 200 and returns the JSON body. */
    public static JsonNode ok(Result r) throws IOException {
        assertThat(r.getHttpStatus()).as("HTTP status, body %s", r.getMessage()).isEqualTo(200);
        return JSON.readTree(r.getMessage());
    }

    public static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
