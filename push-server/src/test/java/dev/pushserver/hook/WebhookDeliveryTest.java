package dev.pushserver.hook;

import static dev.pushserver.testing.Messages.clientEvent;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.unsubscribe;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.rest.data.Validity;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import dev.pushserver.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhooks as a receiver sees them: every event type in Pusher's format, signed so that the official SDK's
 * validation accepts them, filtered per webhook, with the configured headers.
 */
class WebhookDeliveryTest {

    @TempDir
    Path dir;

    private static String yaml(Path dataDir, String webhooks, String... appSettings) {
        StringBuilder app = new StringBuilder("apps:\n  - id: app-1\n    key: key-1\n    secret: secret-1\n"
                + "    enable_client_messages: true\n    enable_subscription_count: true\n");
        for (String s : appSettings) {
            app.append("    ").append(s).append('\n');
        }
        return app + "    webhooks:\n" + webhooks + "data_dir: " + dataDir + "\n";
    }

    private static void awaitEvents(WebhookReceiver r, int n) {
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> r.acceptedEvents().size() >= n);
    }

    @Test
    void everyEventTypeArrivesInPusherFormatAndTheOfficialSdkValidatesIt() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("/pusher/webhook");
                TestServer server = TestServer.start(yaml(dir, "      - url: " + receiver.url() + "\n"))) {
            com.pusher.rest.Pusher sdk = server.httpClient("app-1", "key-1", "secret-1");
            try (RawClient a = RawClient.connect(server.wsUrl("key-1"));
                    RawClient b = RawClient.connect(server.wsUrl("key-1"))) {
                String sa = a.socketId();
                String sb = b.socketId();
                a.send(subscribe("news"));
                a.nextEvent("pusher_internal:subscription_succeeded");
                a.send(subscribePresence("key-1", "secret-1", sa, "presence-room", "{\"user_id\":\"u1\"}"));
                a.nextEvent("pusher_internal:subscription_succeeded");
                b.send(subscribePresence("key-1", "secret-1", sb, "presence-room", "{\"user_id\":\"u2\"}"));
                b.nextEvent("pusher_internal:subscription_succeeded");
                b.send(clientEvent("client-typing", "presence-room", "{\"t\":1}"));
                a.nextEvent("client-typing");
                a.send(subscribe("cache-prices"));
                a.nextEvent("pusher:cache_miss");
                SignedRequest.Response r = SignedRequest.post(server.apiPort(), "/apps/app-1/events",
                        "{\"name\":\"update\",\"channel\":\"news\",\"data\":\"hello\",\"socket_id\":\"" + sb + "\"}")
                        .send();
                assertThat(r.status()).isEqualTo(200);
                b.send(unsubscribe("presence-room"));
                a.send(unsubscribe("news"));
                a.send(subscribe("ping-barrier"));
                a.nextEvent("pusher_internal:subscription_succeeded");
            }
            awaitEvents(receiver, 12);
            Map<String, List<JsonNode>> byName = receiver.acceptedEvents().stream()
                    .collect(Collectors.groupingBy(e -> e.get("name").asText()));
            assertThat(byName.keySet()).contains("channel_occupied", "channel_vacated", "member_added",
                    "member_removed", "client_event", "cache_miss", "subscription_count", "server_event");

            JsonNode added = byName.get("member_added").get(0);
            assertThat(added.get("channel").asText()).isEqualTo("presence-room");
            assertThat(added.get("user_id").asText()).isEqualTo("u1");
            JsonNode client = byName.get("client_event").get(0);
            assertThat(client.get("event").asText()).isEqualTo("client-typing");
            assertThat(client.get("data").asText()).as("the client's object as a JSON string").isEqualTo("{\"t\":1}");
            assertThat(client.get("user_id").asText()).isEqualTo("u2");
            assertThat(client.get("socket_id").asText()).matches("\\d+\\.\\d+");
            JsonNode serverEvent = byName.get("server_event").get(0);
            assertThat(serverEvent.get("event").asText()).isEqualTo("update");
            assertThat(serverEvent.get("data").asText()).isEqualTo("hello");
            assertThat(byName.get("subscription_count").get(0).get("subscription_count").isInt()).isTrue();
            assertThat(receiver.acceptedEvents()).allMatch(e -> e.get("id").isTextual() && e.has("channel"));
            assertThat(receiver.acceptedEvents().stream().map(e -> e.get("id").asText()).distinct().count())
                    .as("ids are unique").isEqualTo(receiver.acceptedEvents().size());

            for (WebhookReceiver.Request req : receiver.requests()) {
                assertThat(req.contentType()).as("exactly, as pusher-http-node requires").isEqualTo("application/json");
                assertThat(req.key()).isEqualTo("key-1");
                assertThat(sdk.validateWebhookSignature(req.key(), req.signature(), req.body()))
                        .as("pusher-http-java accepts %s", req.body()).isEqualTo(Validity.VALID);
                assertThat(req.json().get("time_ms").isIntegralNumber()).isTrue();
                assertThat(req.body()).doesNotContain("\n").doesNotContain(": ");
            }
            assertThat(Files.exists(dir.resolve("hooks.db"))).isTrue();
        }
    }

    @Test
    void eachWebhookGetsOnlyItsEventTypesAndChannelsWithItsHeaders() throws Exception {
        try (WebhookReceiver members = WebhookReceiver.start("/members");
                WebhookReceiver privates = WebhookReceiver.start("/private");
                TestServer server = TestServer.start(yaml(dir,
                        "      - url: " + members.url() + "\n"
                        + "        event_types: [member_added, member_removed]\n"
                        + "        filter: {channel_prefix: presence-}\n"
                        + "        headers: {Authorization: Bearer abc}\n"
                        + "      - url: " + privates.url() + "\n"
                        + "        event_types: [channel_occupied]\n"
                        + "        filter: {channel_pattern: '^private-.*-x$'}\n"))) {
            try (RawClient a = RawClient.connect(server.wsUrl("key-1"))) {
                String sa = a.socketId();
                a.send(subscribe("public-x"));
                a.send(dev.pushserver.testing.Messages.subscribeSigned("key-1", "secret-1", sa, "private-a-x"));
                a.send(dev.pushserver.testing.Messages.subscribeSigned("key-1", "secret-1", sa, "private-a-y"));
                a.send(subscribePresence("key-1", "secret-1", sa, "presence-p", "{\"user_id\":\"u1\"}"));
                for (int i = 0; i < 4; i++) {
                    a.nextEvent("pusher_internal:subscription_succeeded");
                }
            }
            awaitEvents(members, 2);
            awaitEvents(privates, 1);
            Thread.sleep(300); // anything unwanted would have come by now
            assertThat(members.acceptedEvents()).extracting(e -> e.get("name").asText() + " " + e.get("channel").asText())
                    .containsExactly("member_added presence-p", "member_removed presence-p");
            assertThat(members.requests()).allMatch(r -> "Bearer abc".equals(r.headers().get("Authorization")));
            assertThat(privates.acceptedEvents()).extracting(e -> e.get("channel").asText())
                    .containsExactly("private-a-x");
        }
    }
}
