package dev.pushserver.user;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pusher.client.ChannelAuthorizer;
import com.pusher.client.Pusher;
import com.pusher.client.PusherOptions;
import com.pusher.client.UserAuthenticator;
import com.pusher.client.connection.ConnectionState;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.awaitility.Awaitility;

/**
 * Shared helpers for the user / cache / encrypted / subscription-count tests: signatures computed independently of
 * the server (reference §3.1), raw protocol messages built with Jackson (so escaping is right), official-client
 * options with a {@link UserAuthenticator}, and "nothing else arrives" checks.
 */
public final class UserTestKit {

    public static final ObjectMapper JSON = RawClient.json();

    private UserTestKit() {
    }

    // ---- signatures ------------------------------------------------------------------------------------------

    /** Lowercase hex HMAC-SHA256 (reference §3.1). */
    public static String hmac(String secret, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code <key>:<hex>} over {@code <socket_id>::user::<user_data>}. */
    public static String userAuth(String key, String secret, String socketId, String userData) {
        return key + ":" + hmac(secret, socketId + "::user::" + userData);
    }

    /** {@code <key>:<hex>} over {@code <socket_id>:<channel>} or {@code <socket_id>:<channel>:<channel_data>}. */
    public static String channelAuth(String key, String secret, String socketId, String channel, String channelData) {
        return key + ":" + hmac(secret, socketId + ":" + channel + (channelData == null ? "" : ":" + channelData));
    }

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

    // ---- raw protocol messages -------------------------------------------------------------------------------

    public static String signinMessage(String auth, String userData) {
        ObjectNode m = JSON.createObjectNode();
        m.put("event", "pusher:signin");
        ObjectNode d = m.putObject("data");
        d.put("auth", auth);
        d.put("user_data", userData);
        return m.toString();
    }

    /** A correctly signed pusher:signin for this socket. */
    public static String signin(String key, String secret, String socketId, String userData) {
        return signinMessage(userAuth(key, secret, socketId, userData), userData);
    }

    public static String subscribe(String channel, String auth, String channelData) {
        ObjectNode m = JSON.createObjectNode();
        m.put("event", "pusher:subscribe");
        ObjectNode d = m.putObject("data");
        d.put("channel", channel);
        if (auth != null) {
            d.put("auth", auth);
        }
        if (channelData != null) {
            d.put("channel_data", channelData);
        }
        return m.toString();
    }

    public static String subscribePublic(String channel) {
        return subscribe(channel, null, null);
    }

    /** Private / private-encrypted / presence-without-channel_data subscribe signed over socket:channel. */
    public static String subscribeSigned(String key, String secret, String socketId, String channel) {
        return subscribe(channel, channelAuth(key, secret, socketId, channel, null), null);
    }

    public static String subscribePresence(String key, String secret, String socketId, String channel,
            String channelData) {
        return subscribe(channel, channelAuth(key, secret, socketId, channel, channelData), channelData);
    }

    public static String unsubscribe(String channel) {
        ObjectNode m = JSON.createObjectNode();
        m.put("event", "pusher:unsubscribe");
        m.putObject("data").put("channel", channel);
        return m.toString();
    }

    public static String clientEvent(String channel, String event, String data) {
        ObjectNode m = JSON.createObjectNode();
        m.put("event", event);
        m.put("channel", channel);
        m.put("data", data);
        return m.toString();
    }

    public static final String PING = "{\"event\":\"pusher:ping\",\"data\":{}}";

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
            ws.send(UserTestKit.signin(key, secret, socketId, userData));
            return expect("pusher:signin_success", null);
        }

        /**
         * Sends pusher:ping and asserts the next message is the pong: nothing else was queued on this connection
         * before it (the server handles one connection's messages in order).
         */
        public void expectOnlyPong() throws Exception {
            ws.send(PING);
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
            ws.send(PING);
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
            r.put("auth", userAuth(key, secret, socketId, userData));
            r.put("user_data", userData);
            return r.toString();
        };
    }

    /** Official Java client for this server with optional channel authorizer and user authenticator. */
    public static Pusher javaClient(TestServer server, String key, ChannelAuthorizer authorizer,
            UserAuthenticator users) {
        PusherOptions options = new PusherOptions().setHost("127.0.0.1").setWsPort(server.port()).setUseTLS(false);
        if (authorizer != null) {
            options.setChannelAuthorizer(authorizer);
        }
        if (users != null) {
            options.setUserAuthenticator(users);
        }
        return new Pusher(key, options);
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
