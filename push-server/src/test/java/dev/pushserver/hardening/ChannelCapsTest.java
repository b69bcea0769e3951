package dev.pushserver.hardening;

import static dev.pushserver.hardening.Hardening.assertMemoryBounded;
import static dev.pushserver.hardening.Hardening.assertResponsive;
import static dev.pushserver.hardening.Hardening.memory;
import static dev.pushserver.hardening.Hardening.report;
import static dev.pushserver.hardening.HardeningYaml.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.FrameSocket;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8, row 5 and the per-connection caps: channels per connection ({@code max_channels_per_connection}),
 * subscribe/unsubscribe rate ({@code max_subscriptions_per_second}), message rate ({@code max_messages_per_second})
 * and the size of a {@code GET /channels} answer ({@code max_channels_per_query}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChannelCapsTest {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = RawClient.json();

    /**
     * Row 5: 5000 subscribes to distinct public channels sent at once on one socket. At most
     * max_channels_per_connection (200) succeed; every other one is answered with a {@code pusher:error} and a
     * {@code pusher:subscription_error} (channel cap, or the subscription rate limit: 100/s, bursts up to 200), the
     * connection stays open, and {@code GET /channels} lists at most 200 channels. (The message rate limit is set
     * out of the way, so the subscription caps are what is tested.) At this scale the unprotected server shows the
     * problem by accepting all 5000, not yet by its memory (+2 MB; the 200,000 took +420 MB).
     */
    @Test
    void row5_thousandsOfSubscribesOnOneSocketAreCapped() throws Exception {
        String test = "row5_subscribes";
        int subscribes = 5000;
        Hardening.Checks checks = new Hardening.Checks(test);
        String yaml = yaml()
                .app("max_channels_per_connection: 200", "max_subscriptions_per_second: 100",
                        "max_messages_per_second: 1000000", "max_channels_per_query: 10000")
                .build();
        try (TestServer server = TestServer.start(yaml)) {
            assertResponsive(test, server);
            Hardening.Memory before = memory();
            try (RawClient attacker = RawClient.connect(server.wsUrl("key-1"))) {
                attacker.socketId();
                long start = System.currentTimeMillis();
                for (int i = 0; i < subscribes; i++) {
                    attacker.send(Messages.subscribe("flood-" + i));
                }
                attacker.send(Messages.PING);
                int succeeded = 0;
                int subscriptionErrors = 0;
                int errors = 0;
                int rateErrors = 0;
                while (true) {
                    String m = attacker.next(10_000);
                    assertThat(m).as("the answers to %d subscribes, then a pong", subscribes).isNotNull();
                    JsonNode n = JSON.readTree(m);
                    String event = n.path("event").asText();
                    if (event.equals("pusher:pong")) {
                        break;
                    } else if (event.equals("pusher_internal:subscription_succeeded")) {
                        succeeded++;
                    } else if (event.equals("pusher:subscription_error")) {
                        subscriptionErrors++;
                    } else if (event.equals("pusher:error")) {
                        errors++;
                        if (n.path("data").path("code").asInt() == 4301) {
                            rateErrors++;
                        }
                    }
                }
                report(test, subscribes + " subscribes in " + (System.currentTimeMillis() - start) + " ms: "
                        + succeeded + " succeeded, " + subscriptionErrors + " subscription_error, " + errors
                        + " pusher:error (" + rateErrors + " with 4301)");
                RawHttp.Response channels = RawHttp.send(server.apiPort(),
                        SignedRequest.get(server.apiPort(), "/apps/app-1/channels"), "GET", null);
                int listed = channels.status() == 200 ? JSON.readTree(channels.body()).path("channels").size() : -1;
                report(test, "GET /channels: " + channels.status() + ", " + channels.body().length() + " bytes, "
                        + listed + " channels");
                int s = succeeded;
                int se = subscriptionErrors;
                checks.check("channel cap", () -> {
                    assertThat(s).as("subscriptions accepted on one connection").isLessThanOrEqualTo(200);
                    assertThat(se).as("every refused subscribe gets a subscription_error").isEqualTo(subscribes - s);
                    assertThat(attacker.isOpen()).as("the connection stays open").isTrue();
                });
                checks.check("GET /channels", () -> {
                    assertThat(channels.status()).as("%s", channels).isEqualTo(200);
                    assertThat(listed).as("occupied channels listed").isLessThanOrEqualTo(201);
                });
                checks.check("responsive", () -> assertResponsive(test, server));
                checks.check("memory", () -> assertMemoryBounded(test, before));
            }
        }
        checks.verify();
    }

    /**
     * {@code max_channels_per_connection: 3}: a fourth subscribe gets {@code pusher:error} (code null) and a
     * channel-scoped {@code pusher:subscription_error}; on a private-encrypted channel only the {@code pusher:error};
     * the connection stays open, and after an unsubscribe the slot is free again.
     */
    @Test
    void subscribesOverMaxChannelsPerConnectionAreRefusedAndTheConnectionKept() throws Exception {
        String yaml = yaml().app("max_channels_per_connection: 3").build();
        try (TestServer server = TestServer.start(yaml); RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            String socketId = c.socketId();
            for (String ch : List.of("cap-a", "cap-b", "cap-c")) {
                c.send(Messages.subscribe(ch));
                assertThat(untilPong(c)).extracting(n -> n.path("event").asText() + " " + n.path("channel").asText())
                        .containsExactly("pusher_internal:subscription_succeeded " + ch);
            }
            c.send(Messages.subscribe("cap-d"));
            List<JsonNode> refused = untilPong(c);
            report("maxChannels", "fourth subscribe answered " + refused);
            JsonNode error = only(refused, "pusher:error");
            assertThat(error.path("data").has("code") && error.path("data").get("code").isNull())
                    .as("code null: %s", error).isTrue();
            assertThat(error.path("data").path("message").asText()).isNotBlank();
            JsonNode subErr = only(refused, "pusher:subscription_error");
            assertThat(subErr.path("channel").asText()).isEqualTo("cap-d");
            assertThat(subErr.path("data").path("status").isNumber()).as("%s", subErr).isTrue();
            assertThat(refused).noneMatch(n -> n.path("event").asText().contains("subscription_succeeded"));

            String encrypted = "private-encrypted-cap-e";
            c.send(Messages.subscribeSigned("key-1", "secret-1", socketId, encrypted));
            List<JsonNode> refusedEncrypted = untilPong(c);
            assertThat(refusedEncrypted).extracting(n -> n.path("event").asText())
                    .as("encrypted channel over the cap: %s", refusedEncrypted).containsExactly("pusher:error");

            assertThat(c.isOpen()).isTrue();
            c.send(Messages.unsubscribe("cap-a"));
            c.send(Messages.subscribe("cap-d"));
            assertThat(untilPong(c)).extracting(n -> n.path("event").asText() + " " + n.path("channel").asText())
                    .as("after an unsubscribe there is room again")
                    .containsExactly("pusher_internal:subscription_succeeded cap-d");
        }
    }

    /**
     * {@code max_subscriptions_per_second: 1} (bursts up to max_channels_per_connection, 10): 40 subscribe /
     * unsubscribe requests at once get {@code pusher:error} 4301, and the refused subscribes a
     * {@code pusher:subscription_error} with status 429; the connection stays open and later subscribes work.
     */
    @Test
    void subscribeAndUnsubscribeOverTheRateAreAnswered4301And429() throws Exception {
        String yaml = yaml().app("max_channels_per_connection: 10", "max_subscriptions_per_second: 1",
                "max_messages_per_second: 1000000").build();
        try (TestServer server = TestServer.start(yaml); RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            c.socketId();
            for (int i = 0; i < 20; i++) {
                c.send(Messages.subscribe("rate-x"));
                c.send(Messages.unsubscribe("rate-x"));
            }
            List<JsonNode> got = untilPong(c);
            long e4301 = got.stream().filter(n -> n.path("event").asText().equals("pusher:error")
                    && n.path("data").path("code").asInt() == 4301).count();
            long s429 = got.stream().filter(n -> n.path("event").asText().equals("pusher:subscription_error")
                    && n.path("channel").asText().equals("rate-x") && n.path("data").path("status").asInt() == 429)
                    .count();
            report("subscriptionRate", "40 subscribe/unsubscribe requests: " + e4301 + " pusher:error 4301, " + s429
                    + " subscription_error 429, " + got.size() + " messages in all");
            assertThat(e4301).as("pusher:error 4301 for requests over the rate").isGreaterThanOrEqualTo(20);
            assertThat(s429).as("subscription_error status 429 for refused subscribes").isGreaterThanOrEqualTo(1);
            assertThat(c.isOpen()).isTrue();
            Thread.sleep(2_100); // generous: two seconds' worth of allowance at 1 per second
            c.send(Messages.subscribe("rate-after"));
            assertThat(untilPong(c)).extracting(n -> n.path("event").asText())
                    .contains("pusher_internal:subscription_succeeded");
        }
    }

    /**
     * {@code max_messages_per_second: 20}: a burst of 30 {@code pusher:ping} messages gets some answered with
     * {@code pusher:error} 4301 instead of a pong, and the connection stays open (30 is under twice the limit).
     */
    @Test
    void messagesOverTheRateAreAnswered4301() throws Exception {
        String yaml = yaml().app("max_messages_per_second: 20").build();
        try (TestServer server = TestServer.start(yaml); RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            c.socketId();
            long e4301 = 0;
            long pongs = 0;
            for (int attempt = 0; attempt < 3 && e4301 == 0; attempt++) {
                if (attempt > 0) {
                    Thread.sleep(1_200); // a new second (the burst may have straddled two)
                }
                for (int i = 0; i < 30; i++) {
                    c.send(Messages.PING);
                }
                pongs = 0;
                for (int i = 0; i < 30; i++) {
                    String m = c.next(3_000);
                    if (m == null) {
                        break;
                    }
                    JsonNode n = JSON.readTree(m);
                    if (n.path("event").asText().equals("pusher:pong")) {
                        pongs++;
                    } else if (n.path("event").asText().equals("pusher:error")
                            && n.path("data").path("code").asInt() == 4301) {
                        e4301++;
                    }
                }
                report("messageRate", "burst " + (attempt + 1) + " of 30 pings: " + pongs + " pongs, " + e4301
                        + " errors 4301");
            }
            assertThat(e4301).as("pusher:error 4301 for messages over 20 per second").isGreaterThanOrEqualTo(1);
            assertThat(pongs).isLessThan(30);
            assertThat(c.closeCode(0)).as("still open").isNull();
        }
    }

    /** Ping frames count as messages: of 30 sent at once with a limit of 20, some are not answered. */
    @Test
    void pingFramesCountAsMessagesAndAreNotAnsweredOverTheRate() throws Exception {
        String yaml = yaml().app("max_messages_per_second: 20").build();
        try (TestServer server = TestServer.start(yaml);
                FrameSocket ws = FrameSocket.open(server.port(), RawWs.PATH, true, true)) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            Thread.sleep(1_100); // generous: a fresh second, the handshake does not count
            for (int i = 0; i < 30; i++) {
                ws.sendFrame(FrameSocket.OP_PING, "p".getBytes(StandardCharsets.US_ASCII));
            }
            Thread.sleep(1_100); // generous: a fresh second for the barrier message
            ws.sendText(Messages.PING);
            // frames on one connection are handled in order: this answer comes after every pong it will send
            String barrier = ws.nextContaining("\"event\":\"pusher:", 5_000);
            report("pingFrameRate", "30 ping frames: " + ws.pongsReceived() + " pong frames; barrier " + barrier);
            assertThat(barrier).as("an answer to the message after the pings").isNotNull();
            assertThat(ws.pongsReceived()).as("pong frames for 30 pings with a limit of 20 per second")
                    .isLessThan(30);
            assertThat(ws.closeCode(0)).as("still open").isNull();
        }
    }

    /** A client that keeps sending at more than twice {@code max_messages_per_second} is closed with 4100. */
    @Test
    void aClientFloodingMessagesIsClosedWith4100() throws Exception {
        String yaml = yaml().app("max_messages_per_second: 20").build();
        try (TestServer server = TestServer.start(yaml); RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            c.socketId();
            int sent = 0;
            try {
                for (; sent < 1000 && c.closeCode(0) == null; sent++) {
                    c.send(Messages.PING);
                }
            } catch (RuntimeException closedMeanwhile) {
                // the server closed while we were still sending
            }
            Integer code = c.closeCode(5);
            report("messageFlood", sent + " pings sent; close code " + code);
            assertThat(code).as("close code for a client sending over twice the message rate").isEqualTo(4100);
        }
    }

    /**
     * {@code max_channels_per_query: 20}: with 30 occupied channels {@code GET /channels} answers 400 with a JSON
     * error naming the limit; narrowed with {@code filter_by_prefix} to 15 it answers them.
     */
    @Test
    void channelQueriesOverMaxChannelsPerQueryAre400() throws Exception {
        String yaml = yaml().app("max_channels_per_query: 20").build();
        try (TestServer server = TestServer.start(yaml);
                RawClient a = RawClient.connect(server.wsUrl("key-1"));
                RawClient b = RawClient.connect(server.wsUrl("key-1"))) {
            a.socketId();
            b.socketId();
            for (int i = 1; i <= 15; i++) {
                a.send(Messages.subscribe("q-a-" + i));
                b.send(Messages.subscribe("q-b-" + i));
            }
            untilPong(a);
            untilPong(b);
            int port = server.apiPort();
            RawHttp.Response all = RawHttp.send(port, SignedRequest.get(port, "/apps/app-1/channels"), "GET", null);
            report("channelsQuery", "30 channels, limit 20: " + all);
            assertThat(all.status()).as("%s", all).isEqualTo(400);
            assertThat(all.header("content-type")).startsWith("application/json");
            assertThat(JSON.readTree(all.body()).path("error").asText()).as("%s", all).contains("20");
            RawHttp.Response narrowed = RawHttp.send(port, SignedRequest.get(port, "/apps/app-1/channels")
                    .param("filter_by_prefix", "q-a-"), "GET", null);
            assertThat(narrowed.status()).as("%s", narrowed).isEqualTo(200);
            assertThat(JSON.readTree(narrowed.body()).path("channels").size()).isEqualTo(15);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /** Sends a pusher:ping and returns what arrives before its pong (the answers to everything sent before). */
    static List<JsonNode> untilPong(RawClient c) throws Exception {
        c.send(Messages.PING);
        List<JsonNode> out = new ArrayList<>();
        while (true) {
            JsonNode n = c.nextJson();
            if (n.path("event").asText().equals("pusher:pong")) {
                return out;
            }
            out.add(n);
        }
    }

    private static JsonNode only(List<JsonNode> got, String event) {
        List<JsonNode> matching = got.stream().filter(n -> n.path("event").asText().equals(event)).toList();
        assertThat(matching).as("exactly one %s in %s", event, got).hasSize(1);
        return matching.get(0);
    }
}
