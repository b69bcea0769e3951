package dev.pushserver.api;

import static dev.pushserver.api.ApiSupport.BATCH;
import static dev.pushserver.api.ApiSupport.assertNothingDelivered;
import static dev.pushserver.api.ApiSupport.batch;
import static dev.pushserver.api.ApiSupport.single;
import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pusher.rest.data.Event;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code POST /apps/{id}/batch_events} (reference §4.4): order, info, limits, all-or-nothing validation. */
class BatchApiTest {

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

    static SignedRequest.Response post(String body) {
        return SignedRequest.post(port(), BATCH, body).send();
    }

    private static ObjectNode[] items(String channel, int n) {
        ObjectNode[] items = new ObjectNode[n];
        for (int i = 0; i < n; i++) {
            items[i] = single("e" + i, channel, "d" + i);
        }
        return items;
    }

    @Test
    void sdkBatchIsDeliveredInOrderAcrossChannels() throws Exception {
        try (Subscriber s = Subscriber.connect(server).subscribe("b-order-a").subscribe("b-order-b")) {
            List<Event> events = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                events.add(new Event(i % 2 == 0 ? "b-order-a" : "b-order-b", "e" + i, Map.of("i", i)));
            }
            Result r = sdk.trigger(events);
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(r.getHttpStatus()).isEqualTo(200);
            assertThat(SignedRequest.JSON.readTree(r.getMessage())).isEqualTo(SignedRequest.JSON.readTree("{}"));
            for (int i = 0; i < 10; i++) {
                JsonNode e = s.nextEvent();
                assertThat(e.get("event").asText()).isEqualTo("e" + i);
                assertThat(e.get("channel").asText()).isEqualTo(i % 2 == 0 ? "b-order-a" : "b-order-b");
                assertThat(e.get("data").asText()).isEqualTo("{\"i\":" + i + "}");
            }
        }
    }

    @Test
    void batchItemSocketIdExcludesThatConnection() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("b-excl");
                Subscriber b = Subscriber.connect(server).subscribe("b-excl")) {
            Result r = sdk.trigger(List.of(new Event("b-excl", "not-a", "x", a.socketId),
                    new Event("b-excl", "for-all", "y")));
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(b.nextEvent().get("event").asText()).isEqualTo("not-a");
            assertThat(b.nextEvent().get("event").asText()).isEqualTo("for-all");
            assertThat(a.nextEvent().get("event").asText()).isEqualTo("for-all");
            assertNothingDelivered(port(), "b-excl", a, b);
        }
    }

    @Test
    void responseIsEmptyObjectWithoutInfo() {
        SignedRequest.Response r = post(batch(single("e", "b-plain", "d")).toString());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{}");
        assertThat(r.contentType()).startsWith("application/json");
    }

    @Test
    void infoGivesAnIndexAlignedBatchArray() throws Exception {
        try (Subscriber u1 = Subscriber.connect(server).subscribe("presence-b-info", "1").subscribe("b-info");
                Subscriber u2 = Subscriber.connect(server).subscribe("presence-b-info", "2").subscribe("b-info");
                Subscriber u2again = Subscriber.connect(server).subscribe("presence-b-info", "2")) {
            String body = batch(
                    single("e0", "presence-b-info", "d").put("info", "user_count"),
                    single("e1", "b-info", "d"),
                    single("e2", "b-info", "d").put("info", "subscription_count"),
                    single("e3", "b-info-empty", "d").put("info", "subscription_count,user_count")).toString();
            SignedRequest.Response r = post(body);
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            JsonNode batch = r.json().get("batch");
            assertThat(batch.isArray()).as("%s", r).isTrue();
            assertThat(batch.size()).isEqualTo(4);
            assertThat(batch.get(0)).isEqualTo(SignedRequest.JSON.readTree("{\"user_count\":2}"));
            assertThat(batch.get(1)).isEqualTo(SignedRequest.JSON.readTree("{}"));
            assertThat(batch.get(2)).isEqualTo(SignedRequest.JSON.readTree("{\"subscription_count\":2}"));
            assertThat(batch.get(3).isObject()).isTrue();
            assertThat(batch.get(3).has("user_count")).as("no user_count on a public channel").isFalse();
            assertThat(batch.get(3).path("subscription_count").asInt(0)).isZero();
            assertThat(u1.nextEvent().get("event").asText()).isEqualTo("e0");
        }
    }

    @Test
    void moreThanTenEventsIsRejectedAndNothingIsDelivered() throws Exception {
        try (Subscriber s = Subscriber.connect(server).subscribe("b-eleven")) {
            SignedRequest.Response r = post(batch(items("b-eleven", 11)).toString());
            assertThat(r.status()).as("%s", r).isEqualTo(400);
            assertThat(r.error()).containsIgnoringCase("batch").contains("10");
            assertNothingDelivered(port(), "b-eleven", s);

            SignedRequest.Response ten = post(batch(items("b-eleven", 10)).toString());
            assertThat(ten.status()).as("%s", ten).isEqualTo(200);
            assertThat(s.nextEvent().get("event").asText()).isEqualTo("e0");
        }
    }

    @Test
    void configuredBatchLimitIsEnforced() throws Exception {
        try (TestServer small = TestServer.start(apps(app(1, "max_events_per_batch: 3")));
                Subscriber s = Subscriber.connect(small).subscribe("b-small")) {
            SignedRequest.Response four = SignedRequest.post(small.apiPort(), BATCH,
                    batch(items("b-small", 4)).toString()).send();
            assertThat(four.status()).as("%s", four).isEqualTo(400);
            assertThat(four.error()).contains("3");
            assertNothingDelivered(small.apiPort(), "b-small", s);
            SignedRequest.Response three = SignedRequest.post(small.apiPort(), BATCH,
                    batch(items("b-small", 3)).toString()).send();
            assertThat(three.status()).as("%s", three).isEqualTo(200);
            assertThat(s.eventsBefore("e2")).extracting(n -> n.get("event").asText()).containsExactly("e0", "e1");
        }
    }

    @Test
    void oneInvalidItemRejectsTheWholeBatch() throws Exception {
        try (Subscriber s = Subscriber.connect(server).subscribe("b-invalid")) {
            List<ObjectNode> bad = List.of(
                    single("bad", "bad channel!", "d"),
                    SignedRequest.JSON.createObjectNode().put("channel", "b-invalid").put("data", "no name"),
                    SignedRequest.JSON.createObjectNode().put("name", "no-data").put("channel", "b-invalid"),
                    SignedRequest.JSON.createObjectNode().put("name", "no-channel").put("data", "d"),
                    single("bad-socket", "b-invalid", "d").put("socket_id", "abc"),
                    single("n".repeat(201), "b-invalid", "d"));
            for (ObjectNode item : bad) {
                String body = batch(single("ok0", "b-invalid", "d"), single("ok1", "b-invalid", "d"), item,
                        single("ok3", "b-invalid", "d")).toString();
                SignedRequest.Response r = post(body);
                assertThat(r.status()).as("%s for item %s", r, item).isEqualTo(400);
                r.error();
                assertNothingDelivered(port(), "b-invalid", s);
            }
        }
    }

    @Test
    void oversizeItemRejectsTheWholeBatchWith413() throws Exception {
        try (Subscriber s = Subscriber.connect(server).subscribe("b-big")) {
            String body = batch(single("ok0", "b-big", "d"), single("big", "b-big", "x".repeat(10241))).toString();
            SignedRequest.Response r = post(body);
            assertThat(r.status()).as("%s", r).isEqualTo(413);
            assertThat(r.error()).contains("10240");
            assertNothingDelivered(port(), "b-big", s);
        }
    }

    @Test
    void malformedBatchBodiesAre400() {
        for (String body : List.of("{}", "{\"batch\":{}}", "{\"batch\":\"x\"}", "{\"batch\":[1]}",
                "[{\"name\":\"e\",\"channel\":\"c\",\"data\":\"d\"}]", "not json")) {
            SignedRequest.Response r = post(body);
            assertThat(r.status()).as("%s for %s", r, body).isEqualTo(400);
            r.error();
        }
    }
}
