package dev.pushserver.api;

import static dev.pushserver.api.ApiSupport.assertNothingDelivered;
import static dev.pushserver.api.ApiSupport.event;
import static dev.pushserver.api.ApiSupport.single;
import static dev.pushserver.api.ApiSupport.trigger;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code POST /apps/{id}/events} (reference §4.3, §2.6) with the official SDK and raw requests. */
class TriggerApiTest {

    @RegisterExtension
    static final TestServer server = TestServer.perClass(TestServer.DEFAULT_APPS);
    static com.pusher.rest.Pusher sdk;

    @BeforeAll
    static void connectSdk() {
        sdk = server.httpClient("app-1", "key-1", "secret-1");
    }

    static int port() {
        return server.apiPort();
    }

    private static JsonNode json(String s) throws Exception {
        return SignedRequest.JSON.readTree(s);
    }

    @Test
    void sdkTriggerToSeveralChannelsReachesEverySubscriberOnce() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("t-multi-a");
                Subscriber b = Subscriber.connect(server).subscribe("private-t-multi-b");
                Subscriber both = Subscriber.connect(server).subscribe("t-multi-a").subscribe("private-t-multi-b")) {
            Result r = sdk.trigger(List.of("t-multi-a", "private-t-multi-b"), "my-event", Map.of("n", 1));
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(r.getHttpStatus()).isEqualTo(200);
            assertThat(json(r.getMessage())).isEqualTo(json("{}"));

            JsonNode ea = a.nextEvent();
            assertThat(ea.get("event").asText()).isEqualTo("my-event");
            assertThat(ea.get("channel").asText()).isEqualTo("t-multi-a");
            assertThat(ea.get("data").isTextual()).as("data is a JSON string").isTrue();
            assertThat(ea.get("data").asText()).isEqualTo("{\"n\":1}");
            JsonNode eb = b.nextEvent();
            assertThat(eb.get("channel").asText()).isEqualTo("private-t-multi-b");
            assertThat(eb.get("data").asText()).isEqualTo("{\"n\":1}");
            List<String> bothGot = List.of(both.nextEvent().get("channel").asText(),
                    both.nextEvent().get("channel").asText());
            assertThat(bothGot).containsExactlyInAnyOrder("t-multi-a", "private-t-multi-b");
            assertNothingDelivered(port(), "t-multi-a", a, both);
            assertNothingDelivered(port(), "private-t-multi-b", b, both);
        }
    }

    @Test
    void sdkSingleChannelTrigger() throws Exception {
        try (Subscriber s = Subscriber.connect(server).subscribe("t-sdk-single")) {
            Result r = sdk.trigger("t-sdk-single", "App\\Events\\OrderShipped", Map.of("id", 7));
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            JsonNode e = s.nextEvent();
            assertThat(e.get("event").asText()).isEqualTo("App\\Events\\OrderShipped");
            assertThat(e.get("data").asText()).isEqualTo("{\"id\":7}");
        }
    }

    @Test
    void singleChannelFieldAsPhpSendsIt() throws Exception {
        try (Subscriber s = Subscriber.connect(server).subscribe("t-php")) {
            SignedRequest.Response r = trigger(port(), "{\"name\":\"php-event\",\"channel\":\"t-php\","
                    + "\"data\":\"{\\\"message\\\":\\\"hello\\\"}\"}");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{}");
            assertThat(r.contentType()).startsWith("application/json");
            JsonNode e = s.nextEvent();
            assertThat(e.get("event").asText()).isEqualTo("php-event");
            assertThat(e.get("channel").asText()).isEqualTo("t-php");
            assertThat(e.get("data").asText()).isEqualTo("{\"message\":\"hello\"}");
        }
    }

    @Test
    void sdkPostWithPhpStyleBodyIsSuccess() throws Exception {
        try (Subscriber s = Subscriber.connect(server).subscribe("t-sdk-post")) {
            Result r = sdk.post("/events", single("ev", "t-sdk-post", "x").toString());
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(s.nextEvent().get("data").asText()).isEqualTo("x");
        }
    }

    @Test
    void dataIsRelayedVerbatimAsAString() throws Exception {
        List<String> payloads = List.of(
                "{\"a\": 1,   \"b\" : [true, null],\"c\":\"é \\u00e9 \\\" \\\\ </script>\"}",
                "plain text, not JSON",
                "  \"a JSON string\"  ",
                "12.50",
                "ünïcödé ✓ 😀 \u2028 line\nbreak\ttab",
                "");
        try (Subscriber s = Subscriber.connect(server).subscribe("t-verbatim")) {
            for (String data : payloads) {
                SignedRequest.Response r = trigger(port(), event("verbatim", List.of("t-verbatim"), data).toString());
                assertThat(r.status()).as("%s for data %s", r, data).isEqualTo(200);
                JsonNode e = s.nextEvent();
                assertThat(e.get("data").isTextual()).isTrue();
                assertThat(e.get("data").asText()).isEqualTo(data);
            }
        }
    }

    @Test
    void socketIdExcludesOnlyThatConnection() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("t-excl");
                Subscriber b = Subscriber.connect(server).subscribe("t-excl")) {
            Result r = sdk.trigger("t-excl", "not-for-a", Map.of("x", 1), a.socketId);
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(b.nextEvent().get("event").asText()).isEqualTo("not-for-a");
            assertNothingDelivered(port(), "t-excl", a, b);
        }
    }

    @Test
    void socketIdExclusionAppliesToEveryChannelOfTheEvent() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("t-excl2-x").subscribe("t-excl2-y");
                Subscriber b = Subscriber.connect(server).subscribe("t-excl2-x").subscribe("t-excl2-y")) {
            SignedRequest.Response r = trigger(port(), event("multi", List.of("t-excl2-x", "t-excl2-y"), "d")
                    .put("socket_id", a.socketId).toString());
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            List<String> got = List.of(b.nextEvent().get("channel").asText(), b.nextEvent().get("channel").asText());
            assertThat(got).containsExactlyInAnyOrder("t-excl2-x", "t-excl2-y");
            assertNothingDelivered(port(), "t-excl2-x", a, b);
            assertNothingDelivered(port(), "t-excl2-y", a, b);
        }
    }

    @Test
    void duplicateChannelsInOneEventDeliverOnce() throws Exception {
        try (Subscriber s = Subscriber.connect(server).subscribe("t-dup")) {
            SignedRequest.Response r = trigger(port(), event("dup", List.of("t-dup", "t-dup"), "d").toString());
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertThat(s.nextEvent().get("event").asText()).isEqualTo("dup");
            assertNothingDelivered(port(), "t-dup", s);
        }
    }

    @Test
    void infoReturnsUserCountForPresenceAndSubscriptionCountForEveryChannel() throws Exception {
        try (Subscriber u1a = Subscriber.connect(server).subscribe("presence-t-info", "u1");
                Subscriber u1b = Subscriber.connect(server).subscribe("presence-t-info", "u1");
                Subscriber u2 = Subscriber.connect(server).subscribe("presence-t-info", "u2")
                        .subscribe("t-info-pub").subscribe("private-t-info");
                Subscriber p = Subscriber.connect(server).subscribe("t-info-pub")) {
            String body = event("counted", List.of("presence-t-info", "t-info-pub", "private-t-info"), "d")
                    .put("info", "user_count,subscription_count").toString();
            Result r = sdk.post("/events", body);
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(json(r.getMessage())).isEqualTo(json("{\"channels\":{"
                    + "\"presence-t-info\":{\"user_count\":2,\"subscription_count\":3},"
                    + "\"t-info-pub\":{\"subscription_count\":2},"
                    + "\"private-t-info\":{\"subscription_count\":1}}}"));
            // the event is delivered as usual
            assertThat(u1a.nextEvent().get("event").asText()).isEqualTo("counted");
            assertThat(p.nextEvent().get("event").asText()).isEqualTo("counted");

            SignedRequest.Response only = trigger(port(), event("counted2", List.of("t-info-pub"), "d")
                    .put("info", "user_count").toString());
            assertThat(only.status()).isEqualTo(200);
            assertThat(only.json()).isEqualTo(json("{\"channels\":{\"t-info-pub\":{}}}"));

            SignedRequest.Response presenceOnly = trigger(port(), single("counted3", "presence-t-info", "d")
                    .put("info", "user_count").toString());
            assertThat(presenceOnly.json()).isEqualTo(json("{\"channels\":{\"presence-t-info\":{\"user_count\":2}}}"));
        }
    }

    @Test
    void infoOnAnUnoccupiedChannelGivesAnObjectPerChannel() throws Exception {
        SignedRequest.Response r = trigger(port(), event("nobody", List.of("t-nobody-home"), "d")
                .put("info", "subscription_count").toString());
        assertThat(r.status()).isEqualTo(200);
        JsonNode ch = r.json().path("channels").path("t-nobody-home");
        assertThat(ch.isObject()).as("%s", r).isTrue();
        assertThat(ch.path("subscription_count").asInt(0)).isZero();
    }

    @Test
    void serverToUserChannelIsAcceptedByTheApi() {
        SignedRequest.Response r = trigger(port(), event("to-user", List.of("#server-to-user-123"), "d").toString());
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{}");
        SignedRequest.Response single = trigger(port(), single("to-user", "#server-to-user-123", "d").toString());
        assertThat(single.status()).as("%s", single).isEqualTo(200);
        SignedRequest.Response other = trigger(port(), single("x", "#internal-thing", "d").toString());
        assertThat(other.status()).as("%s", other).isEqualTo(400);
        assertThat(other.error()).contains("#internal-thing");
    }

    @Test
    void aSingleEncryptedChannelIsAccepted() {
        SignedRequest.Response r = trigger(port(), event("secret", List.of("private-encrypted-t"),
                "{\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y2lwaGVy\"}").toString());
        assertThat(r.status()).as("%s", r).isEqualTo(200);
    }

    @Test
    void hundredChannelsAreAcceptedAndLongestNamesToo() throws Exception {
        List<String> channels = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            channels.add("t-hundred-" + i);
        }
        try (Subscriber s = Subscriber.connect(server).subscribe("t-hundred-99")) {
            Result r = sdk.trigger(channels, "hundred", "d");
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(s.nextEvent().get("event").asText()).isEqualTo("hundred");
        }
        String longChannel = "c".repeat(200);
        String longName = "n".repeat(200);
        try (Subscriber s = Subscriber.connect(server).subscribe(longChannel)) {
            SignedRequest.Response r = trigger(port(), single(longName, longChannel, "d").toString());
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertThat(s.nextEvent().get("event").asText()).isEqualTo(longName);
        }
    }
}
