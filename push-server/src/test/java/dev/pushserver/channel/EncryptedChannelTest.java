package dev.pushserver.channel;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Messages.unsubscribe;
import static dev.pushserver.testing.Signing.channelAuth;
import static dev.pushserver.user.UserTestKit.b64;
import static dev.pushserver.user.UserTestKit.ok;
import static dev.pushserver.user.UserTestKit.sharedSecret;
import static dev.pushserver.user.UserTestKit.triggerBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pusher.client.ChannelAuthorizer;
import com.pusher.client.Pusher;
import com.pusher.client.channel.PrivateEncryptedChannel;
import com.pusher.client.channel.PrivateEncryptedChannelEventListener;
import com.pusher.client.channel.PusherEvent;
import com.pusher.rest.crypto.nacl.SecretBox;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.TestServer;
import dev.pushserver.user.UserTestKit.Conn;
import dev.pushserver.user.UserTestKit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * End-to-end encrypted channels (reference §2.2, §2.3, §2.6, §2.7, §2.11, §3.1): the server relays ciphertext it
 * cannot read, confirms with exactly "{}", and sends nothing the Java client would try (and fail) to decrypt.
 */
class EncryptedChannelTest {

    static final String KEY = "key-1";
    static final String SECRET = "secret-1";
    static final byte[] MASTER_KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    static final String CHANNEL = "private-encrypted-x";

    static final String APPS = apps(app(1, "enable_client_messages: true", "enable_subscription_count: true"));

    @RegisterExtension
    final TestServer server = TestServer.perTest(APPS);

    /** What an app backend returns for an encrypted channel: auth plus shared_secret, derived independently. */
    static final ChannelAuthorizer AUTHORIZER = (channel, socketId) -> {
        ObjectNode r = UserTestKit.JSON.createObjectNode();
        r.put("auth", channelAuth(KEY, SECRET, socketId, channel, null));
        r.put("shared_secret", b64(sharedSecret(channel, MASTER_KEY)));
        return r.toString();
    };

    /** The official HTTP SDK with the master key, so it encrypts triggers to private-encrypted- channels. */
    com.pusher.rest.Pusher encryptingSdk() {
        com.pusher.rest.Pusher p = new com.pusher.rest.Pusher("app-1", KEY, SECRET,
                Base64.getEncoder().encodeToString(MASTER_KEY));
        p.setHost("127.0.0.1:" + server.apiPort());
        p.setEncrypted(false);
        p.setRequestTimeout(20_000);
        return p;
    }

    static String decrypt(String channel, String payload) throws Exception {
        JsonNode box = UserTestKit.JSON.readTree(payload);
        byte[] plain = SecretBox.open(sharedSecret(channel, MASTER_KEY),
                Base64.getDecoder().decode(box.get("nonce").asText()),
                Base64.getDecoder().decode(box.get("ciphertext").asText()));
        return new String(plain, StandardCharsets.UTF_8);
    }

    /** Collects what the Java client hands a private-encrypted listener. */
    static final class Listener implements PrivateEncryptedChannelEventListener {
        final BlockingQueue<PusherEvent> events = new LinkedBlockingQueue<>();
        final List<String> failures = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(PusherEvent event) {
            events.add(event);
        }

        @Override
        public void onSubscriptionSucceeded(String channelName) {
        }

        @Override
        public void onAuthenticationFailure(String message, Exception e) {
            failures.add("auth: " + message);
        }

        @Override
        public void onDecryptionFailure(String event, String reason) {
            failures.add("decrypt " + event + ": " + reason);
        }
    }

    @Test
    void javaClientDecryptsAnEventTriggeredThroughTheOfficialSdk() throws Exception {
        Pusher client = server.pusherClient(KEY, AUTHORIZER, null);
        Listener listener = new Listener();
        try (Conn raw = Conn.open(server, KEY)) {
            UserTestKit.connectAndWait(client);
            PrivateEncryptedChannel channel = client.subscribePrivateEncrypted(CHANNEL, listener, "secret-event");
            raw.send(subscribeSigned(KEY, SECRET, raw.socketId(), CHANNEL));
            raw.expect("pusher_internal:subscription_succeeded", CHANNEL);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(channel::isSubscribed);

            Result r = encryptingSdk().trigger(CHANNEL, "secret-event", Map.of("msg", "héllo"));
            assertThat(ok(r).toString()).isEqualTo("{}");

            PusherEvent e = listener.events.poll(10, TimeUnit.SECONDS);
            assertThat(e).as("decrypted event; failures %s", listener.failures).isNotNull();
            assertThat(e.getEventName()).isEqualTo("secret-event");
            assertThat(e.getData()).isEqualTo("{\"msg\":\"héllo\"}");
            assertThat(listener.failures).isEmpty();

            // on the wire it is ciphertext that the derived key opens
            JsonNode wire = raw.expect("secret-event", CHANNEL);
            assertThat(wire.get("data").isTextual()).isTrue();
            assertThat(wire.get("data").asText()).doesNotContain("héllo");
            assertThat(decrypt(CHANNEL, wire.get("data").asText())).isEqualTo("{\"msg\":\"héllo\"}");
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }

    @Test
    void ciphertextIsRelayedByteForByte() throws Exception {
        Pusher client = server.pusherClient(KEY, AUTHORIZER, null);
        Listener listener = new Listener();
        try (Conn raw = Conn.open(server, KEY)) {
            UserTestKit.connectAndWait(client);
            PrivateEncryptedChannel channel = client.subscribePrivateEncrypted(CHANNEL, listener, "evt");
            raw.send(subscribeSigned(KEY, SECRET, raw.socketId(), CHANNEL));
            raw.expect("pusher_internal:subscription_succeeded", CHANNEL);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(channel::isSubscribed);

            String plain = "{\"text\":\"secret \\u00e9 \\\"quoted\\\" </script>\"}";
            Map<String, byte[]> box = SecretBox.box(sharedSecret(CHANNEL, MASTER_KEY),
                    plain.getBytes(StandardCharsets.UTF_8));
            // unusual spacing and key order: the server must not re-encode the string
            String payload = "{ \"ciphertext\" : \"" + b64(box.get("cipher")) + "\",\n \"nonce\":\""
                    + b64(box.get("nonce")) + "\" }";
            ok(UserTestKit.api(server, "app-1", KEY, SECRET).post("/events", triggerBody(CHANNEL, "evt", payload)));

            JsonNode wire = raw.expect("evt", CHANNEL);
            assertThat(wire.get("data").asText()).isEqualTo(payload);
            PusherEvent e = listener.events.poll(10, TimeUnit.SECONDS);
            assertThat(e).as("decrypted; failures %s", listener.failures).isNotNull();
            assertThat(e.getData()).isEqualTo(plain);
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }

    @Test
    void subscriptionSucceededDataIsExactlyTheEmptyObjectString() throws Exception {
        try (Conn raw = Conn.open(server, KEY)) {
            raw.send(subscribeSigned(KEY, SECRET, raw.socketId(), CHANNEL));
            JsonNode ok = raw.expect("pusher_internal:subscription_succeeded", CHANNEL);
            assertThat(ok.get("data").isTextual()).as("data as a string: %s", ok).isTrue();
            assertThat(ok.get("data").asText()).isEqualTo("{}");
        }
    }

    @Test
    void clientEventsOnEncryptedChannelsAreRejected() throws Exception {
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY)) {
            for (Conn c : List.of(a, b)) {
                c.send(subscribeSigned(KEY, SECRET, c.socketId(), CHANNEL));
                c.expect("pusher_internal:subscription_succeeded", CHANNEL);
            }
            a.send(Messages.clientEventWithStringData("client-hi", CHANNEL, "{\"nonce\":\"x\",\"ciphertext\":\"y\"}"));
            JsonNode err = a.expect("pusher:error", null);
            assertThat(err.get("data").get("code").isNull()).as("non-fatal: %s", err).isTrue();
            a.expectOnlyPong();
            b.expectQuiet(300);
        }
    }

    @Test
    void noSubscriptionCountEventsOnEncryptedChannelsEvenWhenEnabled() throws Exception {
        Pusher client = server.pusherClient(KEY, AUTHORIZER, null);
        Listener listener = new Listener();
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY)) {
            UserTestKit.connectAndWait(client);
            PrivateEncryptedChannel channel = client.subscribePrivateEncrypted(CHANNEL, listener, "evt");
            channel.bind("pusher:subscription_count", listener);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(channel::isSubscribed);

            a.send(subscribeSigned(KEY, SECRET, a.socketId(), CHANNEL));
            a.expect("pusher_internal:subscription_succeeded", CHANNEL);
            a.send(subscribeSigned(KEY, SECRET, a.socketId(), "private-ctl"));
            a.expect("pusher_internal:subscription_succeeded", "private-ctl");
            assertCount(a.expect("pusher_internal:subscription_count", "private-ctl"), 1);

            // b: encrypted first, then the control channel; b's events reach a in that order
            b.send(subscribeSigned(KEY, SECRET, b.socketId(), CHANNEL));
            b.send(subscribeSigned(KEY, SECRET, b.socketId(), "private-ctl"));
            assertCount(a.expect("pusher_internal:subscription_count", "private-ctl"), 2);
            b.send(unsubscribe(CHANNEL));
            b.send(unsubscribe("private-ctl"));
            assertCount(a.expect("pusher_internal:subscription_count", "private-ctl"), 1);
            a.expectOnlyPong();

            List<JsonNode> seenByB = b.drain(300);
            assertThat(seenByB).noneMatch(m -> m.path("event").asText().equals("pusher_internal:subscription_count")
                    && m.path("channel").asText().equals(CHANNEL));
            assertThat(listener.failures).as("Java client decryption failures").isEmpty();
            assertThat(listener.events).isEmpty();
            assertThat(count(channel)).isNull();
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }

    @Test
    void refusedSubscribeGetsPusherErrorButNoChannelScopedSubscriptionError() throws Exception {
        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribe(CHANNEL, channelAuth(KEY, "wrong", a.socketId(), CHANNEL, null), null));
            JsonNode err = a.expect("pusher:error", null);
            assertThat(err.get("data").get("code").isNull()).as("non-fatal: %s", err).isTrue();
            a.expectOnlyPong();

            a.send(subscribe("private-encrypted-y", null, null));
            a.expect("pusher:error", null);
            a.expectOnlyPong();

            // and it really is not subscribed: a trigger does not reach it
            ok(UserTestKit.api(server, "app-1", KEY, SECRET).post("/events",
                    triggerBody(CHANNEL, "evt", "{\"nonce\":\"AA==\",\"ciphertext\":\"AA==\"}")));
            a.expectQuiet(300);
        }
    }

    @Test
    void anEncryptedChannelCannotBeTriggeredTogetherWithOtherChannels() throws Exception {
        ObjectNode body = UserTestKit.JSON.createObjectNode();
        body.put("name", "evt");
        body.putArray("channels").add(CHANNEL).add("news");
        body.put("data", "{\"nonce\":\"AA==\",\"ciphertext\":\"AA==\"}");
        Result r = UserTestKit.api(server, "app-1", KEY, SECRET).post("/events", body.toString());
        assertThat(r.getHttpStatus()).as("body %s", r.getMessage()).isEqualTo(400);
    }

    static void assertCount(JsonNode m, int expected) throws Exception {
        assertThat(m.get("data").isTextual()).as("data string: %s", m).isTrue();
        assertThat(UserTestKit.JSON.readTree(m.get("data").asText()).get("subscription_count").asInt())
                .as("count in %s", m).isEqualTo(expected);
    }

    /** The Java client keeps the last count on its channel implementation (not on the public interface). */
    static Integer count(com.pusher.client.channel.Channel channel) {
        return ((com.pusher.client.channel.impl.InternalChannel) channel).getCount();
    }
}
