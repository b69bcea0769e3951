package dev.pushserver.channel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionState;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * Helpers shared by the channel tests: raw clients with their socket_id, HTTP API look-ups through the official SDK,
 * and "barriers" that make negative checks deterministic instead of relying on sleeps. Wire messages and signatures
 * are in {@link dev.pushserver.testing.Messages} and {@link dev.pushserver.testing.Signing}.
 */
final class ChannelTestSupport {

    static final ObjectMapper JSON = RawClient.json();
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** Test-friendly server defaults: quick shutdown so a failing test does not hang in the grace period. */
    static final String FAST_STOP = "shutdown_grace_period: 0\n";

    private ChannelTestSupport() {
    }

    /** A channel name unique within the JVM, so tests never see each other's state. */
    static String unique(String prefix) {
        return prefix + "-" + SEQ.incrementAndGet();
    }

    // ---- raw clients ------------------------------------------------------------------------------------------

    /** A raw client on {@code key} whose handshake has been read. */
    static Raw raw(TestServer server, String key) throws Exception {
        RawClient c = RawClient.connect(server.wsUrl(key));
        try {
            return new Raw(c, c.socketId());
        } catch (Throwable t) {
            c.close();
            throw t;
        }
    }

    /** A raw client plus its socket_id. */
    record Raw(RawClient client, String socketId) implements AutoCloseable {

        void send(String text) {
            client.send(text);
        }

        /**
         * The next message within 5 s, skipping {@code sentinel} events: those are only the harness's markers
         * (see {@link ChannelTestSupport#untilSentinel}) reaching other subscribers of the channel.
         */
        JsonNode next() throws Exception {
            while (true) {
                JsonNode m = client.nextJson();
                if (!"sentinel".equals(m.path("event").asText())) {
                    return m;
                }
            }
        }

        /** The next message within 5 s, sentinels included. */
        JsonNode nextAny() throws Exception {
            return client.nextJson();
        }

        /**
         * Everything the server sends this connection in answer to its earlier messages: sends a
         * {@code pusher:ping} and returns the messages that arrive before the matching {@code pusher:pong}. Because
         * the server handles one connection's frames in order, the pong proves all earlier frames were handled.
         */
        List<JsonNode> untilPong() throws Exception {
            client.send(dev.pushserver.testing.Messages.PING);
            List<JsonNode> out = new ArrayList<>();
            while (true) {
                JsonNode m = next();
                if ("pusher:pong".equals(m.path("event").asText())) {
                    return out;
                }
                out.add(m);
            }
        }

        /** Waits (5 s) for the next non-sentinel message and asserts its event name. */
        JsonNode expectEvent(String event) throws Exception {
            JsonNode m = next();
            assertThat(m.path("event").asText()).as("next message: %s", m).isEqualTo(event);
            return m;
        }

        /** Asserts the next message is subscription_succeeded for {@code channel}; returns its parsed data. */
        JsonNode expectSucceeded(String channel) throws Exception {
            JsonNode m = next();
            assertThat(m.path("event").asText()).as("reply to subscribe %s: %s", channel, m)
                    .isEqualTo("pusher_internal:subscription_succeeded");
            assertThat(m.path("channel").asText()).isEqualTo(channel);
            assertThat(m.get("data").isTextual()).as("data is a JSON string: %s", m).isTrue();
            return JSON.readTree(m.get("data").asText());
        }

        /** Subscribes (message already built) and waits for success. */
        JsonNode subscribeOk(String subscribeMessage, String channel) throws Exception {
            send(subscribeMessage);
            return expectSucceeded(channel);
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /**
     * Asserts a rejected subscribe: a {@code pusher:error} with {@code code:null} and a message, then (because this
     * server sends it, as soketi does) a channel-scoped {@code pusher:subscription_error}; no
     * {@code subscription_succeeded}. Returns the error message text.
     */
    static String expectSubscribeRejected(Raw c, String channel) throws Exception {
        List<JsonNode> got = c.untilPong();
        assertThat(got).as("messages after a rejected subscribe to %s", channel)
                .noneMatch(m -> m.path("event").asText().equals("pusher_internal:subscription_succeeded"));
        JsonNode error = got.stream().filter(m -> m.path("event").asText().equals("pusher:error")).findFirst()
                .orElseThrow(() -> new AssertionError("no pusher:error for " + channel + ", got " + got));
        assertPerRequestError(error);
        JsonNode subErr = got.stream()
                .filter(m -> m.path("event").asText().equals("pusher:subscription_error")).findFirst()
                .orElseThrow(() -> new AssertionError("no pusher:subscription_error for " + channel + ": " + got));
        assertThat(subErr.path("channel").asText()).isEqualTo(channel);
        assertThat(subErr.get("data").isObject()).as("subscription_error data object: %s", subErr).isTrue();
        assertThat(subErr.path("data").path("status").isNumber()).as("numeric status: %s", subErr).isTrue();
        assertThat(got).as("only the two error messages: %s", got).hasSize(2);
        assertThat(c.client().isOpen()).as("connection stays open").isTrue();
        return error.path("data").path("message").asText();
    }

    /** {@code pusher:error} with an object data, a non-empty string message and {@code code: null}. */
    static void assertPerRequestError(JsonNode error) {
        assertThat(error.path("event").asText()).isEqualTo("pusher:error");
        JsonNode data = error.get("data");
        assertThat(data).as("pusher:error data: %s", error).isNotNull();
        assertThat(data.isObject()).as("pusher:error data is an object: %s", error).isTrue();
        assertThat(data.has("code")).as("code present: %s", error).isTrue();
        assertThat(data.get("code").isNull()).as("code is null: %s", error).isTrue();
        assertThat(data.path("message").isTextual()).as("message string: %s", error).isTrue();
        assertThat(data.path("message").asText()).isNotBlank();
    }

    /** The single message of {@code got}, asserted to be a per-request pusher:error; returns its message. */
    static String singleError(List<JsonNode> got) {
        assertThat(got).as("exactly one error expected").hasSize(1);
        assertPerRequestError(got.get(0));
        return got.get(0).path("data").path("message").asText();
    }

    // ---- HTTP API ---------------------------------------------------------------------------------------------

    static JsonNode httpGet(com.pusher.rest.Pusher api, String path, Map<String, String> params) throws Exception {
        Result r = api.get(path, params);
        assertThat(r.getHttpStatus()).as("GET %s %s -> %s", path, params, r.getMessage()).isEqualTo(200);
        return JSON.readTree(r.getMessage());
    }

    static JsonNode channelInfo(com.pusher.rest.Pusher api, String channel, String info) throws Exception {
        return httpGet(api, "/channels/" + channel, info == null ? Map.of() : Map.of("info", info));
    }

    static int subscriptionCount(com.pusher.rest.Pusher api, String channel) throws Exception {
        JsonNode n = channelInfo(api, channel, "subscription_count");
        return n.path("subscription_count").asInt(-1);
    }

    static boolean occupied(com.pusher.rest.Pusher api, String channel) throws Exception {
        return channelInfo(api, channel, null).path("occupied").asBoolean();
    }

    static int userCount(com.pusher.rest.Pusher api, String channel) throws Exception {
        return channelInfo(api, channel, "user_count").path("user_count").asInt(-1);
    }

    static List<String> users(com.pusher.rest.Pusher api, String channel) throws Exception {
        JsonNode n = httpGet(api, "/channels/" + channel + "/users", Map.of());
        List<String> ids = new ArrayList<>();
        n.path("users").forEach(u -> ids.add(u.path("id").asText()));
        return ids;
    }

    static void trigger(com.pusher.rest.Pusher api, String channel, String event, Object data) {
        Result r = api.trigger(channel, event, data);
        assertThat(r.getStatus()).as("trigger %s %s: %s", channel, event, r.getMessage())
                .isEqualTo(Result.Status.SUCCESS);
    }

    /**
     * Triggers a {@code sentinel} event on {@code channel} through the HTTP API and returns every message
     * {@code c} received before it. Use it for "nothing else arrived" checks. It is not a strict barrier: the server
     * delivers a publish inline when it runs on the subscriber's own event loop but queues it for other loops, so a
     * message published earlier from another loop can, under CPU load, arrive after the sentinel. Wait for expected
     * messages with {@link Raw#expectEvent} instead of relying on them preceding the sentinel.
     */
    static List<JsonNode> untilSentinel(Raw c, com.pusher.rest.Pusher api, String channel) throws Exception {
        String marker = "s" + SEQ.incrementAndGet();
        trigger(api, channel, "sentinel", Map.of("marker", marker));
        List<JsonNode> out = new ArrayList<>();
        while (true) {
            JsonNode m = c.nextAny();
            if ("sentinel".equals(m.path("event").asText())) {
                if (m.path("data").asText().contains(marker)) {
                    return out;
                }
                continue; // an earlier marker meant for another subscriber of the channel
            }
            out.add(m);
        }
    }

    static List<String> events(List<JsonNode> messages) {
        return messages.stream().map(m -> m.path("event").asText()).toList();
    }

    // ---- official Java client ---------------------------------------------------------------------------------

    static void awaitConnected(Pusher client) {
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED);
    }

    static void quietly(Pusher client) {
        if (client != null) {
            try {
                client.disconnect();
            } catch (RuntimeException ignored) {
                // best effort in clean-up
            }
        }
    }

    static void quietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort in clean-up
            }
        }
    }
}
