package dev.pushserver.channel;

import static dev.pushserver.channel.ChannelTestSupport.FAST_STOP;
import static dev.pushserver.channel.ChannelTestSupport.awaitConnected;
import static dev.pushserver.channel.ChannelTestSupport.channelInfo;
import static dev.pushserver.channel.ChannelTestSupport.expectSubscribeRejected;
import static dev.pushserver.channel.ChannelTestSupport.occupied;
import static dev.pushserver.channel.ChannelTestSupport.quietly;
import static dev.pushserver.channel.ChannelTestSupport.raw;
import static dev.pushserver.channel.ChannelTestSupport.subscriptionCount;
import static dev.pushserver.channel.ChannelTestSupport.trigger;
import static dev.pushserver.channel.ChannelTestSupport.unique;
import static dev.pushserver.channel.ChannelTestSupport.untilSentinel;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Messages.unsubscribe;
import static dev.pushserver.testing.Signing.channelAuth;
import static dev.pushserver.testing.Signing.hmacSha256Hex;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.channel.Channel;
import com.pusher.client.channel.PrivateChannel;
import com.pusher.client.channel.PrivateChannelEventListener;
import com.pusher.client.channel.PusherEvent;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.channel.ChannelTestSupport.Raw;
import dev.pushserver.testing.ChannelRecorder;
import dev.pushserver.testing.ConnectionRecorder;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.SigningAuthorizer;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Public and private channels (reference §2.1-2.4, §2.6, §3.1): subscribe forms of both official clients,
 * idempotent re-subscribe, unsubscribe, and every way a private-channel auth can be wrong.
 */
class PublicPrivateChannelTest {

    @RegisterExtension
    static final TestServer server = TestServer.perClass(TestServer.DEFAULT_APPS + FAST_STOP);
    private static com.pusher.rest.Pusher api;

    @BeforeAll
    static void connectApi() {
        api = server.httpClient("app-1", "key-1", "secret-1");
    }

    // ---- public channels --------------------------------------------------------------------------------------

    @Test
    void javaClientSubscribesToPublicChannelAndReceivesEvents() throws Exception {
        String channel = unique("news");
        Pusher client = server.pusherClient("key-1");
        try {
            client.connect();
            awaitConnected(client);
            ChannelRecorder rec = new ChannelRecorder();
            BlockingQueue<PusherEvent> got = rec.events;
            Channel ch = client.subscribe(channel, rec, "headline");
            assertThat(rec.subscriptions.poll(5, TimeUnit.SECONDS)).isEqualTo(channel);
            assertThat(ch.isSubscribed()).isTrue();
            assertThat(subscriptionCount(api, channel)).isEqualTo(1);

            trigger(api, channel, "headline", Map.of("text", "hello"));
            PusherEvent e = got.poll(5, TimeUnit.SECONDS);
            assertThat(e).isNotNull();
            assertThat(e.getChannelName()).isEqualTo(channel);
            assertThat(e.getEventName()).isEqualTo("headline");
            assertThat(e.getData()).isEqualTo("{\"text\":\"hello\"}");
            assertThat(e.getUserId()).isNull();
        } finally {
            quietly(client);
        }
    }

    /** pusher-js sends auth:"" (data object), the Java client no auth key; a JSON-encoded data string works too. */
    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"pusher-js", "java", "string-data"})
    void rawPublicSubscribeFormsAllSucceedWithStringEmptyObject(String form) throws Exception {
        String channel = unique("pub");
        String message = switch (form) {
            case "pusher-js" -> "{\"event\":\"pusher:subscribe\",\"data\":{\"auth\":\"\",\"channel\":\"" + channel
                    + "\"}}";
            case "java" -> "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" + channel + "\"}}";
            default -> "{\"event\":\"pusher:subscribe\",\"data\":"
                    + Messages.quote("{\"channel\":\"" + channel + "\",\"auth\":\"\"}") + "}";
        };
        try (Raw c = raw(server, "key-1")) {
            c.send(message);
            String reply = c.client().next();
            assertThat(reply).as("reply").isNotNull();
            JsonNode m = ChannelTestSupport.JSON.readTree(reply);
            assertThat(m.path("event").asText()).as(reply).isEqualTo("pusher_internal:subscription_succeeded");
            assertThat(m.path("channel").asText()).isEqualTo(channel);
            assertThat(m.get("data").isTextual()).as("data must be the string \"{}\": %s", reply).isTrue();
            assertThat(m.get("data").asText()).isEqualTo("{}");
            assertThat(subscriptionCount(api, channel)).isEqualTo(1);

            trigger(api, channel, "ev", Map.of("n", 1));
            JsonNode ev = c.next();
            assertThat(ev.path("event").asText()).isEqualTo("ev");
            assertThat(ev.path("channel").asText()).isEqualTo(channel);
            assertThat(ev.path("data").asText()).isEqualTo("{\"n\":1}");
        }
    }

    @Test
    void publicSubscribeIgnoresAnAuthValue() throws Exception {
        String channel = unique("pub");
        try (Raw c = raw(server, "key-1")) {
            assertThat(c.subscribeOk(subscribe(channel, "garbage"), channel).toString()).isEqualTo("{}");
        }
    }

    @Test
    void resubscribeIsIdempotent() throws Exception {
        String channel = unique("pub");
        try (Raw c = raw(server, "key-1"); Raw other = raw(server, "key-1")) {
            c.subscribeOk(subscribe(channel), channel);
            other.subscribeOk(subscribe(channel), channel);
            assertThat(subscriptionCount(api, channel)).isEqualTo(2);

            // the same subscribe again is confirmed again, and counts nothing twice
            JsonNode again = c.subscribeOk(subscribe(channel), channel);
            assertThat(again.toString()).isEqualTo("{}");
            assertThat(subscriptionCount(api, channel)).isEqualTo(2);

            // and the connection still gets every event once
            trigger(api, channel, "once", "x");
            c.expectEvent("once");
            assertThat(untilSentinel(c, api, channel)).as("delivered once only").isEmpty();

            // one unsubscribe removes the one subscription
            c.send(unsubscribe(channel));
            assertThat(c.untilPong()).isEmpty();
            assertThat(subscriptionCount(api, channel)).isEqualTo(1);
        }
    }

    @Test
    void unsubscribeStopsDeliveryToThatConnectionOnly() throws Exception {
        String channel = unique("pub");
        String control = unique("control");
        try (Raw a = raw(server, "key-1"); Raw b = raw(server, "key-1")) {
            a.subscribeOk(subscribe(channel), channel);
            a.subscribeOk(subscribe(control), control);
            b.subscribeOk(subscribe(channel), channel);

            a.send(unsubscribe(channel));
            assertThat(a.untilPong()).as("unsubscribe has no reply").isEmpty();
            assertThat(subscriptionCount(api, channel)).isEqualTo(1);

            trigger(api, channel, "after", "x");
            b.expectEvent("after");
            assertThat(untilSentinel(a, api, control)).as("a got nothing on the channel it left").isEmpty();

            b.send(unsubscribe(channel));
            b.untilPong();
            assertThat(occupied(api, channel)).isFalse();
            assertThat(channelInfo(api, channel, "subscription_count").path("subscription_count").asInt())
                    .isZero();
        }
    }

    @Test
    void unsubscribingAChannelNotSubscribedIsSilentlyIgnored() throws Exception {
        try (Raw c = raw(server, "key-1")) {
            c.send(unsubscribe(unique("never")));
            c.send(unsubscribe("private-" + unique("never")));
            c.send(unsubscribe("presence-" + unique("never")));
            assertThat(c.untilPong()).isEmpty();
            assertThat(c.client().isOpen()).isTrue();
        }
    }

    @Test
    void javaClientUnsubscribeStopsDelivery() throws Exception {
        String channel = unique("news");
        Pusher client = server.pusherClient("key-1");
        try (Raw watcher = raw(server, "key-1")) {
            watcher.subscribeOk(subscribe(channel), channel);
            client.connect();
            awaitConnected(client);
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            Channel ch = client.subscribe(channel);
            ch.bind("ev", e -> got.add(e.getData()));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(ch::isSubscribed);
            assertThat(subscriptionCount(api, channel)).isEqualTo(2);

            client.unsubscribe(channel);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> subscriptionCount(api, channel) == 1);
            trigger(api, channel, "ev", "after-unsubscribe");
            // the watcher (same channel) sees the event, so it has been fanned out by now
            watcher.expectEvent("ev");
            assertThat(got.poll(200, TimeUnit.MILLISECONDS)).isNull();
        } finally {
            quietly(client);
        }
    }

    // ---- private channels -------------------------------------------------------------------------------------

    @Test
    void javaClientSubscribesToPrivateChannelWithSignedAuth() throws Exception {
        String channel = "private-" + unique("orders");
        Pusher client = server.pusherClient("key-1", new SigningAuthorizer("app-1", "key-1", "secret-1", null));
        try {
            client.connect();
            awaitConnected(client);
            ChannelRecorder rec = new ChannelRecorder();
            BlockingQueue<PusherEvent> got = rec.events;
            PrivateChannel ch = client.subscribePrivate(channel, rec, "order-shipped");
            assertThat(rec.subscriptions.poll(5, TimeUnit.SECONDS)).isEqualTo(channel);
            assertThat(ch.isSubscribed()).isTrue();
            assertThat(subscriptionCount(api, channel)).isEqualTo(1);

            trigger(api, channel, "order-shipped", Map.of("id", 7));
            PusherEvent e = got.poll(5, TimeUnit.SECONDS);
            assertThat(e).isNotNull();
            assertThat(e.getData()).isEqualTo("{\"id\":7}");
        } finally {
            quietly(client);
        }
    }

    @Test
    void rawPrivateSubscribeWithValidAuthSucceedsWithEmptyObjectString() throws Exception {
        String channel = "private-" + unique("p");
        try (Raw c = raw(server, "key-1")) {
            JsonNode data = c.subscribeOk(subscribeSigned("key-1", "secret-1", c.socketId(), channel),
                    channel);
            assertThat(data.toString()).isEqualTo("{}");
            assertThat(occupied(api, channel)).isTrue();
        }
    }

    @Test
    void uppercaseHexSignatureIsAccepted() throws Exception {
        String channel = "private-" + unique("p");
        try (Raw c = raw(server, "key-1")) {
            String sig = hmacSha256Hex("secret-1", c.socketId() + ":" + channel).toUpperCase(Locale.ROOT);
            c.subscribeOk(subscribe(channel, "key-1:" + sig), channel);
        }
    }

    /** Each row: how to build the bad auth token from (socketId, channel). */
    private static final Map<String, BiFunction<String, String, String>> BAD_AUTH = Map.of(
            "wrong-secret", (s, ch) -> channelAuth("key-1", "secret-2", s, ch),
            "wrong-key-part", (s, ch) -> channelAuth("key-2", "secret-1", s, ch),
            "other-socket", (s, ch) -> channelAuth("key-1", "secret-1", "123.456", ch),
            "other-channel", (s, ch) -> channelAuth("key-1", "secret-1", s, ch + "x"),
            "empty", (s, ch) -> "",
            "no-colon", (s, ch) -> hmacSha256Hex("secret-1", s + ":" + ch),
            "truncated", (s, ch) -> channelAuth("key-1", "secret-1", s, ch).substring(0, 40),
            "signature-with-channel-data", (s, ch) -> channelAuth("key-1", "secret-1", s, ch, "{\"user_id\":\"1\"}"));

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"wrong-secret", "wrong-key-part", "other-socket", "other-channel", "empty", "no-colon",
            "truncated", "signature-with-channel-data", "missing"})
    void badPrivateAuthIsRejectedAndNothingIsSubscribed(String kind) throws Exception {
        String channel = "private-" + unique("p");
        String control = unique("control");
        try (Raw c = raw(server, "key-1")) {
            c.subscribeOk(subscribe(control), control);
            String message = kind.equals("missing")
                    ? "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" + channel + "\"}}"
                    : subscribe(channel, BAD_AUTH.get(kind).apply(c.socketId(), channel));
            c.send(message);
            String error = expectSubscribeRejected(c, channel);
            switch (kind) {
                case "wrong-secret", "other-socket", "other-channel", "truncated", "signature-with-channel-data" ->
                    assertThat(error).startsWith("Invalid signature");
                case "wrong-key-part", "no-colon" -> assertThat(error).startsWith("Invalid key in subscription auth data");
                default -> { }
            }

            // nothing was subscribed: not occupied, and events on the channel do not arrive
            assertThat(occupied(api, channel)).isFalse();
            trigger(api, channel, "secret-event", "x");
            assertThat(untilSentinel(c, api, control)).isEmpty();

            // the connection is still usable: a correct subscribe afterwards works
            c.subscribeOk(subscribeSigned("key-1", "secret-1", c.socketId(), channel), channel);
        }
    }

    @Test
    void expectedSignatureTextNamesTheSignedString() throws Exception {
        String channel = "private-" + unique("p");
        try (Raw c = raw(server, "key-1")) {
            c.send(subscribe(channel, "key-1:deadbeef"));
            String error = expectSubscribeRejected(c, channel);
            assertThat(error).isEqualTo("Invalid signature: Expected HMAC SHA256 hex digest of " + c.socketId() + ":"
                    + channel + ", but got deadbeef");
        }
    }

    @Test
    void javaClientSeesServerSideAuthFailureWithoutCrashing() throws Exception {
        String channel = "private-" + unique("p");
        String good = "private-" + unique("good");
        SigningAuthorizer signer = new SigningAuthorizer("app-1", "key-1", "secret-1", null);
        // a backend that signs one channel with the wrong secret
        com.pusher.client.ChannelAuthorizer authorizer = (name, socketId) -> name.equals(channel)
                ? new SigningAuthorizer("app-1", "key-1", "not-the-secret", null).authorize(name, socketId)
                : signer.authorize(name, socketId);
        Pusher client = server.pusherClient("key-1", authorizer);
        ConnectionRecorder connection = new ConnectionRecorder();
        BlockingQueue<String> channelErrors = new LinkedBlockingQueue<>();
        BlockingQueue<String> succeeded = new LinkedBlockingQueue<>();
        try {
            client.connect(connection, ConnectionState.ALL);
            awaitConnected(client);
            PrivateChannelEventListener listener = new PrivateChannelEventListener() {
                @Override
                public void onAuthenticationFailure(String message, Exception e) {
                    channelErrors.add("auth-failure:" + message);
                }

                @Override
                public void onSubscriptionSucceeded(String name) {
                    succeeded.add(name);
                }

                @Override
                public void onEvent(PusherEvent event) {
                    channelErrors.add(event.getEventName() + ":" + event.getData());
                }
            };
            PrivateChannel ch = client.subscribePrivate(channel, listener, "pusher:subscription_error");

            ConnectionRecorder.Error err = connection.nextError(5);
            assertThat(err).as("onError called").isNotNull();
            assertThat(err.message()).startsWith("Invalid signature");
            assertThat(err.code()).as("code null").isNull();
            String scoped = channelErrors.poll(5, TimeUnit.SECONDS);
            assertThat(scoped).as("channel-scoped subscription_error reaches the channel listener")
                    .startsWith("pusher:subscription_error:");
            JsonNode scopedData = ChannelTestSupport.JSON.readTree(scoped.substring(
                    "pusher:subscription_error:".length()));
            assertThat(scopedData.path("type").asText()).isEqualTo("AuthError");
            assertThat(scopedData.path("status").asInt()).isEqualTo(401);
            assertThat(ch.isSubscribed()).isFalse();
            assertThat(client.getConnection().getState()).isEqualTo(ConnectionState.CONNECTED);
            assertThat(occupied(api, channel)).isFalse();

            // the same client keeps working
            client.subscribePrivate(good, listener);
            assertThat(succeeded.poll(5, TimeUnit.SECONDS)).isEqualTo(good);
            assertThat(succeeded).isEmpty();
        } finally {
            quietly(client);
        }
    }

    @Test
    void privateChannelEventsOnlyReachAuthorisedSubscribers() throws Exception {
        String channel = "private-" + unique("p");
        String control = unique("control");
        try (Raw ok = raw(server, "key-1"); Raw denied = raw(server, "key-1")) {
            ok.subscribeOk(subscribeSigned("key-1", "secret-1", ok.socketId(), channel), channel);
            denied.subscribeOk(subscribe(control), control);
            // denied replays ok's valid token: it is bound to ok's socket_id
            denied.send(subscribeSigned("key-1", "secret-1", ok.socketId(), channel));
            assertThat(expectSubscribeRejected(denied, channel)).startsWith("Invalid signature");
            assertThat(subscriptionCount(api, channel)).isEqualTo(1);

            trigger(api, channel, "pay", "x");
            ok.expectEvent("pay");
            assertThat(untilSentinel(denied, api, control)).isEmpty();
        }
    }

    @Test
    void subscribeWithoutChannelIsAnErrorNotADisconnect() throws Exception {
        try (Raw c = raw(server, "key-1")) {
            c.send("{\"event\":\"pusher:subscribe\",\"data\":{}}");
            c.send("{\"event\":\"pusher:subscribe\"}");
            c.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":42}}");
            List<JsonNode> got = c.untilPong();
            assertThat(got).hasSize(3);
            got.forEach(ChannelTestSupport::assertPerRequestError);
            assertThat(c.client().isOpen()).isTrue();
        }
    }
}
