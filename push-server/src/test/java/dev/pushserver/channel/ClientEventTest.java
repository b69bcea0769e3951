package dev.pushserver.channel;

import static dev.pushserver.channel.ChannelTestSupport.FAST_STOP;
import static dev.pushserver.channel.ChannelTestSupport.JSON;
import static dev.pushserver.channel.ChannelTestSupport.assertPerRequestError;
import static dev.pushserver.channel.ChannelTestSupport.awaitConnected;
import static dev.pushserver.channel.ChannelTestSupport.quietly;
import static dev.pushserver.channel.ChannelTestSupport.raw;
import static dev.pushserver.channel.ChannelTestSupport.singleError;
import static dev.pushserver.channel.ChannelTestSupport.unique;
import static dev.pushserver.channel.ChannelTestSupport.untilSentinel;
import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.clientEvent;
import static dev.pushserver.testing.Messages.quote;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Messages.unsubscribe;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.channel.PresenceChannel;
import com.pusher.client.channel.PrivateChannel;
import com.pusher.client.channel.PusherEvent;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.channel.ChannelTestSupport.Raw;
import dev.pushserver.testing.ChannelRecorder;
import dev.pushserver.testing.ConnectionRecorder;
import dev.pushserver.testing.SigningAuthorizer;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Client events (reference §2.7): relayed to the other subscribers of private and presence channels, never echoed,
 * with the sender's presence user_id; every reason to refuse one; the per-connection rate limit (4301).
 */
class ClientEventTest {

    @RegisterExtension
    static final TestServer server = TestServer.perClass(TestServer.DEFAULT_APPS + FAST_STOP);
    private static com.pusher.rest.Pusher api;

    @BeforeAll
    static void connectApi() {
        api = server.httpClient("app-1", "key-1", "secret-1");
    }

    private static void joinPrivate(Raw c, String channel) throws Exception {
        c.subscribeOk(subscribeSigned("key-1", "secret-1", c.socketId(), channel), channel);
    }

    private static void joinPresence(Raw c, String channel, String channelData) throws Exception {
        c.subscribeOk(subscribePresence("key-1", "secret-1", c.socketId(), channel, channelData),
                channel);
        assertThat(c.untilPong()).isEmpty();
    }

    /** The names of the top-level fields of a message. */
    private static List<String> fields(JsonNode m) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = m.fieldNames(); it.hasNext();) {
            out.add(it.next());
        }
        return out;
    }

    // ---- delivery ---------------------------------------------------------------------------------------------

    @Test
    void privateChannelClientEventReachesOthersButIsNotEchoed() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw b = raw(server, "key-1"); Raw c = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            joinPrivate(b, channel);
            joinPrivate(c, channel);

            String data = "{\"text\":\"hi\",\"n\":[1,2,{\"deep\":true}],\"u\":\"\u00e9\u2603\"}";
            sender.send(clientEvent("client-typing", channel, data));
            assertThat(sender.untilPong()).as("no error, no echo").isEmpty();

            for (Raw r : List.of(b, c)) {
                JsonNode m = r.expectEvent("client-typing");
                assertThat(m.path("channel").asText()).isEqualTo(channel);
                assertThat(m.get("data").isObject()).as("object data stays an object: %s", m).isTrue();
                assertThat(m.get("data")).isEqualTo(JSON.readTree(data));
                assertThat(fields(m)).containsExactlyInAnyOrder("event", "channel", "data");
            }
            assertThat(untilSentinel(sender, api, channel)).as("not echoed to the sender").isEmpty();
            assertThat(untilSentinel(b, api, channel)).as("delivered once").isEmpty();
        }
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"\"plain text\"", "\"{\\\"json\\\":\\\"in a string\\\"}\"", "42", "true", "null",
            "[1,\"two\",{}]", "{}", "\"emoji \\ud83d\\ude00 and \\u00e9\""})
    void dataIsRelayedAsSent(String rawData) throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            joinPrivate(receiver, channel);
            sender.send(clientEvent("client-data", channel, rawData));
            JsonNode m = receiver.expectEvent("client-data");
            assertThat(m.has("data")).isTrue();
            assertThat(m.get("data")).as("relayed data").isEqualTo(JSON.readTree(rawData));
            assertThat(m.get("data").getNodeType()).isEqualTo(JSON.readTree(rawData).getNodeType());
        }
    }

    @Test
    void presenceClientEventCarriesTheSendersUserIdAndReachesTheSendersOtherConnection() throws Exception {
        String channel = "presence-" + unique("room");
        try (Raw alice1 = raw(server, "key-1"); Raw alice2 = raw(server, "key-1"); Raw bob = raw(server, "key-1")) {
            joinPresence(alice1, channel, "{\"user_id\":\"alice\"}");
            joinPresence(alice2, channel, "{\"user_id\":\"alice\"}");
            joinPresence(bob, channel, "{\"user_id\":\"bob\"}");
            alice1.expectEvent("pusher_internal:member_added"); // bob
            alice2.expectEvent("pusher_internal:member_added"); // bob

            // a forged user_id and an extra field from the client are not trusted / not relayed
            alice1.send("{\"event\":\"client-move\",\"channel\":\"" + channel
                    + "\",\"data\":{\"x\":1},\"user_id\":\"mallory\",\"socket_id\":\"1.1\"}");
            assertThat(alice1.untilPong()).isEmpty();

            for (Raw r : List.of(bob, alice2)) {
                JsonNode m = r.expectEvent("client-move");
                assertThat(m.path("channel").asText()).isEqualTo(channel);
                assertThat(m.get("data")).isEqualTo(JSON.readTree("{\"x\":1}"));
                assertThat(m.path("user_id").isTextual()).as("user_id string: %s", m).isTrue();
                assertThat(m.path("user_id").asText()).isEqualTo("alice");
                assertThat(fields(m)).containsExactlyInAnyOrder("event", "channel", "data", "user_id");
            }
            assertThat(untilSentinel(alice1, api, channel)).as("not echoed").isEmpty();
        }
    }

    @Test
    void presenceClientEventUserIdIsTheStringFormOfANumericId() throws Exception {
        String channel = "presence-" + unique("room");
        try (Raw ten = raw(server, "key-1"); Raw other = raw(server, "key-1")) {
            joinPresence(ten, channel, "{\"user_id\":10}");
            joinPresence(other, channel, "{\"user_id\":\"other\"}");
            ten.expectEvent("pusher_internal:member_added");
            ten.send(clientEvent("client-x", channel, "{}"));
            JsonNode m = other.expectEvent("client-x");
            assertThat(m.get("user_id").isTextual()).as("%s", m).isTrue();
            assertThat(m.get("user_id").asText()).isEqualTo("10");
        }
    }

    @Test
    void privateClientEventHasNoUserIdEvenIfTheClientSendsOne() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            joinPrivate(receiver, channel);
            sender.send("{\"event\":\"client-x\",\"channel\":\"" + channel + "\",\"data\":{},\"user_id\":\"boss\"}");
            JsonNode m = receiver.expectEvent("client-x");
            assertThat(m.has("user_id")).as("%s", m).isFalse();
        }
    }

    @Test
    void javaClientTriggerSendsStringDataAndReceivesObjectData() throws Exception {
        String channel = "private-" + unique("chat");
        Pusher client = server.pusherClient("key-1", new SigningAuthorizer("app-1", "key-1", "secret-1", null));
        try (Raw raw = raw(server, "key-1")) {
            joinPrivate(raw, channel);
            client.connect();
            awaitConnected(client);
            ChannelRecorder rec = new ChannelRecorder();
            BlockingQueue<PusherEvent> got = rec.events;
            PrivateChannel ch = client.subscribePrivate(channel, rec, "client-from-raw");
            assertThat(rec.subscriptions.poll(5, TimeUnit.SECONDS)).isEqualTo(channel);

            // Java -> raw: the Java client sends data as a string; it is relayed as that string
            String javaData = "{\"typing\":true,\"who\":\"D\u00fcke \\\"J\\\"\"}";
            ch.trigger("client-from-java", javaData);
            JsonNode m = raw.expectEvent("client-from-java");
            assertThat(m.get("data").isTextual()).as("string data stays a string: %s", m).isTrue();
            assertThat(m.get("data").asText()).isEqualTo(javaData);

            // raw (pusher-js style object) -> Java
            raw.send(clientEvent("client-from-raw", channel, "{\"ok\":1}"));
            PusherEvent e = got.poll(5, TimeUnit.SECONDS);
            assertThat(e).as("Java client got the client event").isNotNull();
            assertThat(e.getChannelName()).isEqualTo(channel);
            assertThat(JSON.readTree(e.getData())).isEqualTo(JSON.readTree("{\"ok\":1}"));
            assertThat(e.getUserId()).isNull();
            assertThat(got.poll(200, TimeUnit.MILLISECONDS)).as("the Java client's own event is not echoed").isNull();
        } finally {
            quietly(client);
        }
    }

    @Test
    void javaClientOnPresenceSeesSenderUserId() throws Exception {
        String channel = "presence-" + unique("room");
        Pusher client = server.pusherClient("key-1", new SigningAuthorizer("app-1", "key-1", "secret-1",
                "{\"user_id\":\"java\"}"));
        try (Raw alice = raw(server, "key-1")) {
            joinPresence(alice, channel, "{\"user_id\":\"alice\",\"user_info\":{\"n\":1}}");
            client.connect();
            awaitConnected(client);
            ChannelRecorder rec = new ChannelRecorder();
            BlockingQueue<PusherEvent> got = rec.events;
            PresenceChannel ch = client.subscribePresence(channel, rec, "client-wave");
            assertThat(rec.initial.poll(5, TimeUnit.SECONDS)).isNotNull();
            alice.expectEvent("pusher_internal:member_added");

            alice.send(clientEvent("client-wave", channel, "{\"hand\":\"left\"}"));
            PusherEvent e = got.poll(5, TimeUnit.SECONDS);
            assertThat(e).isNotNull();
            assertThat(e.getUserId()).isEqualTo("alice");
            assertThat(JSON.readTree(e.getData())).isEqualTo(JSON.readTree("{\"hand\":\"left\"}"));

            ch.trigger("client-wave", "back");
            JsonNode m = alice.expectEvent("client-wave");
            assertThat(m.path("user_id").asText()).isEqualTo("java");
            assertThat(m.path("data").asText()).isEqualTo("back");
        } finally {
            quietly(client);
        }
    }

    /** Reference §2.10: "Client events are not cached" - only HTTP API events are replayed to new subscribers. */
    @Test
    void clientEventsAreNotCachedOnCacheChannels() throws Exception {
        String channel = "private-cache-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            sender.expectEvent("pusher:cache_miss");
            joinPrivate(receiver, channel);
            receiver.expectEvent("pusher:cache_miss");

            sender.send(clientEvent("client-note", channel, "{\"secret\":1}"));
            receiver.expectEvent("client-note");

            try (Raw late = raw(server, "key-1")) {
                joinPrivate(late, channel);
                assertThat(late.next().path("event").asText())
                        .as("a new subscriber must not be replayed a client event")
                        .isEqualTo("pusher:cache_miss");
            }
            assertThat(ChannelTestSupport.channelInfo(api, channel, "cache").get("cache").isNull())
                    .as("info=cache after a client event only: %s",
                            ChannelTestSupport.channelInfo(api, channel, "cache"))
                    .isTrue();

            // while an HTTP API event is cached (so the check above is meaningful)
            ChannelTestSupport.trigger(api, channel, "from-api", "cached");
            try (Raw later = raw(server, "key-1")) {
                joinPrivate(later, channel);
                assertThat(later.next().path("event").asText()).isEqualTo("from-api");
            }
        }
    }

    // ---- rejections -------------------------------------------------------------------------------------------

    /** Sends {@code message} from {@code sender}, expects one per-request error and nothing at {@code receiver}. */
    private static String expectRejected(Raw sender, Raw receiver, String channel, String message)
            throws Exception {
        sender.send(message);
        String error = singleError(sender.untilPong());
        assertThat(sender.client().isOpen()).isTrue();
        if (receiver != null) {
            assertThat(untilSentinel(receiver, api, channel)).as("nothing relayed").isEmpty();
        }
        return error;
    }

    @Test
    void rejectedWhenTheAppHasClientEventsDisabled() throws Exception {
        String channel = "private-" + unique("chat");
        try (com.pusher.rest.Pusher api2 = server.httpClient("app-2", "key-2", "secret-2");
                Raw sender = raw(server, "key-2"); Raw receiver = raw(server, "key-2")) {
            sender.subscribeOk(subscribeSigned("key-2", "secret-2", sender.socketId(), channel), channel);
            receiver.subscribeOk(subscribeSigned("key-2", "secret-2", receiver.socketId(), channel),
                    channel);
            sender.send(clientEvent("client-x", channel, "{}"));
            String error = singleError(sender.untilPong());
            assertThat(error).containsIgnoringCase("not enabled");
            assertThat(untilSentinel(receiver, api2, channel)).isEmpty();
            assertThat(sender.client().isOpen()).isTrue();
        }
    }

    @Test
    void rejectedOnAPublicChannel() throws Exception {
        String channel = unique("public");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            sender.subscribeOk(subscribe(channel), channel);
            receiver.subscribeOk(subscribe(channel), channel);
            expectRejected(sender, receiver, channel, clientEvent("client-x", channel, "{}"));
        }
    }

    @Test
    void rejectedWhenNotSubscribed() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(receiver, channel);
            String error = expectRejected(sender, receiver, channel, clientEvent("client-x", channel, "{}"));
            assertThat(error).isEqualTo(
                    "Cannot broadcast client event (connection not subscribed to channel " + channel + ")");
        }
    }

    @Test
    void rejectedAfterUnsubscribing() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            joinPrivate(receiver, channel);
            sender.send(unsubscribe(channel));
            expectRejected(sender, receiver, channel, clientEvent("client-x", channel, "{}"));
        }
    }

    @Test
    void rejectedWhenTheSubscriptionFailed() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(receiver, channel);
            sender.send(subscribe(channel, "key-1:bad"));
            sender.untilPong(); // the subscribe errors
            expectRejected(sender, receiver, channel, clientEvent("client-x", channel, "{}"));
        }
    }

    @Test
    void rejectedWhenTheEventNameIsTooLong() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            joinPrivate(receiver, channel);
            String tooLong = "client-" + "e".repeat(200 - "client-".length() + 1); // 201 > default 200
            expectRejected(sender, receiver, channel, clientEvent(tooLong, channel, "{}"));

            String longest = "client-" + "e".repeat(200 - "client-".length());
            sender.send(clientEvent(longest, channel, "{}"));
            receiver.expectEvent(longest);
        }
    }

    @Test
    void rejectedWhenTheDataIsOverMaxEventPayload() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            joinPrivate(receiver, channel);
            // {"d":"..."} is 8 bytes plus the filler
            String over = "{\"d\":\"" + "x".repeat(10_240 - 8 + 1) + "\"}";
            assertThat(over.length()).isEqualTo(10_241);
            String error = expectRejected(sender, receiver, channel, clientEvent("client-big", channel, over));
            assertThat(error).containsIgnoringCase("too large");

            String exact = "{\"d\":\"" + "x".repeat(10_240 - 8) + "\"}";
            sender.send(clientEvent("client-big", channel, exact));
            assertThat(sender.untilPong()).as("exactly max_event_payload is allowed").isEmpty();
            assertThat(receiver.expectEvent("client-big").get("data")).isEqualTo(JSON.readTree(exact));
        }
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"my-event", "client", "Client-x", "pusher:client-x", "pusher_internal:member_added",
            "pusher:subscription_error"})
    void nonClientEventsFromClientsAreRejected(String event) throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            joinPrivate(receiver, channel);
            expectRejected(sender, receiver, channel, clientEvent(event, channel, "{\"x\":1}"));
        }
    }

    @Test
    void clientEventWithoutChannelIsRejected() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = raw(server, "key-1"); Raw receiver = raw(server, "key-1")) {
            joinPrivate(sender, channel);
            joinPrivate(receiver, channel);
            expectRejected(sender, receiver, channel, "{\"event\":\"client-x\",\"data\":{}}");
        }
    }

    // ---- rate limit -------------------------------------------------------------------------------------------

    @Test
    void rateLimitRejectsEventsOverTheLimitWith4301AndKeepsTheConnection() throws Exception {
        try (TestServer limited = TestServer.start(
                apps(app(1, "enable_client_messages: true", "max_client_events_per_second: 5")) + FAST_STOP);
                com.pusher.rest.Pusher http = limited.httpClient("app-1", "key-1", "secret-1");
                Raw sender = raw(limited, "key-1");
                Raw receiver = raw(limited, "key-1")) {
            String channel = "private-" + unique("chat");
            joinPrivate(sender, channel);
            joinPrivate(receiver, channel);

            for (int i = 1; i <= 8; i++) {
                sender.send(clientEvent("client-burst", channel, "{\"i\":" + i + "}"));
            }
            List<JsonNode> errors = sender.untilPong();
            assertThat(errors).as("one error per event over the limit").hasSize(3);
            for (JsonNode e : errors) {
                assertThat(e.path("event").asText()).isEqualTo("pusher:error");
                assertThat(e.path("data").get("code").isInt()).as("numeric code: %s", e).isTrue();
                assertThat(e.path("data").get("code").asInt()).isEqualTo(4301);
                assertThat(e.path("data").path("message").isTextual()).isTrue();
            }
            assertThat(sender.client().isOpen()).isTrue();

            // exactly the first five were delivered, in order
            for (int i = 1; i <= 5; i++) {
                assertThat(receiver.expectEvent("client-burst").path("data").path("i").asInt()).isEqualTo(i);
            }
            assertThat(untilSentinel(receiver, http, channel)).as("nothing over the limit relayed").isEmpty();

            // the connection is still usable once the second is over
            Awaitility.await().atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(150)).until(() -> {
                sender.send(clientEvent("client-later", channel, "{}"));
                return sender.untilPong().isEmpty();
            });
            receiver.expectEvent("client-later");
            assertThat(sender.client().closeCode(0)).isNull();
        }
    }

    @Test
    void rateLimitIsPerConnection() throws Exception {
        try (TestServer limited = TestServer.start(
                apps(app(1, "enable_client_messages: true", "max_client_events_per_second: 2")) + FAST_STOP);
                Raw a = raw(limited, "key-1");
                Raw b = raw(limited, "key-1");
                Raw receiver = raw(limited, "key-1")) {
            String channel = "private-" + unique("chat");
            joinPrivate(a, channel);
            joinPrivate(b, channel);
            joinPrivate(receiver, channel);
            a.send(clientEvent("client-a", channel, "1"));
            a.send(clientEvent("client-a", channel, "2"));
            b.send(clientEvent("client-b", channel, "1"));
            b.send(clientEvent("client-b", channel, "2"));
            assertThat(a.untilPong()).as("a within its own limit").noneMatch(m -> m.path("event").asText()
                    .equals("pusher:error"));
            assertThat(b.untilPong()).as("b within its own limit").noneMatch(m -> m.path("event").asText()
                    .equals("pusher:error"));
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                got.add(receiver.next().path("event").asText());
            }
            assertThat(got).containsExactlyInAnyOrder("client-a", "client-a", "client-b", "client-b");
        }
    }

    @Test
    void javaClientGetsRateLimitErrorAsOnErrorAndStaysConnected() throws Exception {
        try (TestServer limited = TestServer.start(
                apps(app(1, "enable_client_messages: true", "max_client_events_per_second: 1")) + FAST_STOP)) {
            String channel = "private-" + unique("chat");
            Pusher client = limited.pusherClient("key-1",
                    new SigningAuthorizer("app-1", "key-1", "secret-1", null));
            ConnectionRecorder connection = new ConnectionRecorder();
            try (Raw receiver = raw(limited, "key-1")) {
                joinPrivate(receiver, channel);
                client.connect(connection, ConnectionState.ALL);
                awaitConnected(client);
                PrivateChannel ch = client.subscribePrivate(channel);
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(ch::isSubscribed);
                ch.trigger("client-one", "1");
                ch.trigger("client-two", "2");
                ConnectionRecorder.Error err = connection.nextError(5);
                assertThat(err).isNotNull();
                assertThat(err.code()).isEqualTo("4301");
                receiver.expectEvent("client-one");
                assertThat(client.getConnection().getState()).isEqualTo(ConnectionState.CONNECTED);
            } finally {
                quietly(client);
            }
        }
    }

    @Test
    void errorForRejectedClientEventIsPerRequest() throws Exception {
        // the shape Pusher uses: pusher:error, data object, code null, message string
        String channel = unique("public");
        try (Raw sender = raw(server, "key-1")) {
            sender.subscribeOk(subscribe(channel), channel);
            sender.send(clientEvent("client-x", channel, quote("s")));
            List<JsonNode> got = sender.untilPong();
            assertThat(got).hasSize(1);
            assertPerRequestError(got.get(0));
        }
    }
}
