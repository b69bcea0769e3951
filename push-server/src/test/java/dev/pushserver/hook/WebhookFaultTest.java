package dev.pushserver.hook;

import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.unsubscribe;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import dev.pushserver.testing.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Receivers that fail, are down or time out: everything is delivered once they recover, at least once (duplicates
 * are counted), in order per destination, and other destinations are not held up meanwhile. Each test prints
 * emitted / delivered / duplicates / lost as a {@code [hooks]} line.
 */
class WebhookFaultTest {

    @TempDir
    Path dir;

    private String yaml(String server, String... apps) {
        return "data_dir: " + dir + "\n" + server + "apps:\n" + String.join("", apps);
    }

    private static String app(int n, String webhookUrl, String... settings) {
        StringBuilder s = new StringBuilder("  - id: app-" + n + "\n    key: key-" + n + "\n    secret: secret-" + n
                + "\n");
        for (String setting : settings) {
            s.append("    ").append(setting).append('\n');
        }
        return s + "    webhooks:\n      - url: " + webhookUrl + "\n        event_types: [channel_occupied, "
                + "channel_vacated]\n";
    }

    /** Subscribes and unsubscribes {@code n} channels: 2n hook events (occupied, vacated). */
    private static void churn(TestServer server, String key, String prefix, int n) throws Exception {
        try (RawClient c = RawClient.connect(server.wsUrl(key))) {
            for (int i = 0; i < n; i++) {
                c.send(subscribe(prefix + i));
                c.nextEvent("pusher_internal:subscription_succeeded");
                c.send(unsubscribe(prefix + i));
            }
            c.send(dev.pushserver.testing.Messages.PING);
            c.nextEvent("pusher:pong");
        }
    }

    /** Counts from what the receiver accepted against what was emitted ({@code expected} distinct events). */
    private static Map<String, Long> counts(String test, WebhookReceiver r, int expected) {
        List<JsonNode> accepted = r.acceptedEvents();
        Map<String, Integer> perId = new HashMap<>();
        accepted.forEach(e -> perId.merge(e.get("id").asText(), 1, Integer::sum));
        long duplicates = accepted.size() - perId.size();
        Map<String, Long> out = Map.of("emitted", (long) expected, "delivered", (long) perId.size(),
                "duplicates", duplicates, "lost", (long) Math.max(0, expected - perId.size()));
        System.out.println("[hooks] " + test + ": emitted " + expected + ", delivered " + perId.size()
                + ", duplicates " + duplicates + ", lost " + out.get("lost") + ", requests " + r.requests().size());
        return out;
    }

    private static void awaitDistinct(WebhookReceiver r, int n, int seconds) {
        Awaitility.await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(100)).until(() ->
                r.acceptedEvents().stream().map(e -> e.get("id").asText()).distinct().count() >= n);
    }

    /** Per channel, the events arrive in the order they happened: occupied before vacated. */
    private static void assertOrderPerChannel(WebhookReceiver r) {
        Map<String, List<String>> perChannel = r.acceptedEvents().stream().collect(Collectors.groupingBy(
                e -> e.get("channel").asText(), Collectors.mapping(e -> e.get("name").asText(), Collectors.toList())));
        perChannel.forEach((channel, names) -> {
            List<String> distinct = names.stream().distinct().toList();
            assertThat(distinct).as(channel).containsExactly("channel_occupied", "channel_vacated");
            assertThat(names.indexOf("channel_occupied")).as(channel).isLessThan(names.lastIndexOf(
                    "channel_vacated"));
        });
    }

    @Test
    void aReceiverThatFailsThenRecoversGetsEverythingInOrder() throws Exception {
        try (WebhookReceiver failing = WebhookReceiver.start("/hook")) {
            failing.answer(n -> n < 2 ? 500 : 200); // the first two attempts fail
            try (TestServer server = TestServer.start(yaml("", app(1, failing.url())))) {
                churn(server, "key-1", "f-", 25);
                awaitDistinct(failing, 50, 20);
                Map<String, Long> c = counts("500 then recovers", failing, 50);
                assertThat(c.get("lost")).isZero();
                assertThat(failing.requests().stream().filter(r -> r.answered() == 500).count()).isEqualTo(2);
                assertOrderPerChannel(failing);
            }
        }
    }

    @Test
    void aReceiverDownFor30SecondsDelaysOnlyItsOwnEvents() throws Exception {
        try (WebhookReceiver down = WebhookReceiver.start("/down"); WebhookReceiver up = WebhookReceiver.start("/up")) {
            down.down();
            try (TestServer server = TestServer.start(yaml("", app(1, down.url()), app(2, up.url())))) {
                churn(server, "key-1", "d-", 20);
                long start = System.nanoTime();
                churn(server, "key-2", "u-", 20);
                awaitDistinct(up, 40, 10);
                long otherAppMs = (System.nanoTime() - start) / 1_000_000;
                System.out.println("[hooks] receiver down: the other app's 40 events arrived in " + otherAppMs + " ms");
                assertThat(otherAppMs).as("the other app is not held up").isLessThan(5_000);
                Thread.sleep(15_000); // still down: retries with back-off meanwhile
                long later = System.nanoTime();
                churn(server, "key-2", "v-", 10); // the other app, mid-outage
                awaitDistinct(up, 60, 10);
                long midOutageMs = (System.nanoTime() - later) / 1_000_000;
                System.out.println("[hooks] receiver down: 20 more events of the other app, 15 s into the outage, "
                        + "arrived in " + midOutageMs + " ms");
                assertThat(midOutageMs).as("the other app is still not held up").isLessThan(5_000);
                Thread.sleep(15_000);
                assertThat(down.requests()).isEmpty();
                down.up(); // after 30 s: the next attempt comes with the back-off (up to a minute)
                awaitDistinct(down, 40, 75);
                assertThat(counts("receiver down 30 s", down, 40).get("lost")).isZero();
                assertThat(counts("other app meanwhile", up, 60).get("lost")).isZero();
                assertOrderPerChannel(down);
            }
        }
    }

    @Test
    void aReceiverThatTimesOutIsRetriedAndDuplicatesCarryTheSameId() throws Exception {
        try (WebhookReceiver slow = WebhookReceiver.start("/slow")) {
            slow.delay(2_500); // longer than webhook_timeout: the first delivery times out, then succeeds late
            try (TestServer server = TestServer.start(yaml("webhook_timeout: 1\n", app(1, slow.url())))) {
                churn(server, "key-1", "t-", 5);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !slow.requests().isEmpty());
                slow.delay(0);
                awaitDistinct(slow, 10, 20);
                Map<String, Long> c = counts("receiver times out", slow, 10);
                assertThat(c.get("lost")).isZero();
                Set<String> ids = new TreeSet<>();
                slow.acceptedEvents().forEach(e -> ids.add(e.get("id").asText()));
                assertThat(ids).hasSize(10);
            }
        }
    }

    @Test
    void afterTheRetryPeriodEventsAreDeadLetteredAndCanBeReplayed() throws Exception {
        try (WebhookReceiver broken = WebhookReceiver.start("/broken")) {
            broken.answer(n -> 500);
            try (TestServer server = TestServer.start(yaml("webhook_retry_period: 2\nadmin_token: s3cret\n",
                    app(1, broken.url())))) {
                churn(server, "key-1", "x-", 3);
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                        admin(server, "GET", "/admin/hooks", "s3cret").json().get("dead_letters").asInt() == 6);
                JsonNode dead = admin(server, "GET", "/admin/hooks/dead-letters", "s3cret").json();
                assertThat(dead.get("dead_letters")).hasSize(6);
                JsonNode first = dead.get("dead_letters").get(0);
                assertThat(first.get("target").asText()).isEqualTo("webhook:app-1:0");
                assertThat(first.get("last_error").asText()).contains("500");
                assertThat(first.get("event").get("id").asText()).isEqualTo(first.get("id").asText());

                assertThat(admin(server, "GET", "/admin/hooks", "wrong").status()).isEqualTo(401);
                assertThat(admin(server, "POST", "/admin/hooks/replay", "s3cret").status())
                        .as("needs id or all").isEqualTo(400);
                broken.answer(n -> 200);
                assertThat(admin(server, "POST", "/admin/hooks/replay?all=true", "s3cret").json()
                        .get("replayed").asInt()).isEqualTo(6);
                awaitDistinct(broken, 6, 10);
                assertThat(counts("dead letters replayed", broken, 6).get("lost")).isZero();
                assertThat(admin(server, "GET", "/admin/hooks", "s3cret").json().get("dead_letters").asInt()).isZero();
            }
        }
    }

    @Test
    void withAVacateDelayAQuickReturnSendsNeitherVacatedNorOccupied() throws Exception {
        try (WebhookReceiver r = WebhookReceiver.start("/delay");
                TestServer server = TestServer.start(yaml("webhook_vacate_delay_ms: 800\n", app(1, r.url())))) {
            try (RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
                c.send(subscribe("reload"));
                c.nextEvent("pusher_internal:subscription_succeeded");
                c.send(unsubscribe("reload")); // a page reload: gone and back within the delay
                c.send(subscribe("reload"));
                c.nextEvent("pusher_internal:subscription_succeeded");
                Thread.sleep(1_500);
                assertThat(r.acceptedEvents()).extracting(e -> e.get("name").asText())
                        .containsExactly("channel_occupied");
                c.send(unsubscribe("reload"));
                awaitDistinct(r, 2, 5);
                assertThat(r.acceptedEvents()).extracting(e -> e.get("name").asText())
                        .containsExactly("channel_occupied", "channel_vacated");
            }
        }
    }

    @Test
    void aUsersHandlerNamedInTheConfigurationGetsTheSameBatches() throws Exception {
        RecordingHandler.BATCHES.clear();
        try (WebhookReceiver r = WebhookReceiver.start("/both");
                TestServer server = TestServer.start(yaml("hook_handlers: [" + RecordingHandler.class.getName()
                        + "]\n", app(1, r.url())))) {
            churn(server, "key-1", "h-", 3);
            awaitDistinct(r, 6, 10);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> RecordingHandler.BATCHES.stream()
                    .mapToInt(b -> b.events().size()).sum() >= 6);
            List<String> viaHandler = RecordingHandler.BATCHES.stream().flatMap(b -> b.events().stream())
                    .map(HookEvent::id).toList();
            List<String> viaWebhook = r.acceptedEvents().stream().map(e -> e.get("id").asText()).toList();
            assertThat(viaHandler).containsExactlyElementsOf(viaWebhook);
            assertThat(RecordingHandler.BATCHES).allMatch(b -> b.target().equals("handler:recorder:app-1")
                    && b.app().id().equals("app-1"));
        }
    }

    private static SignedRequest.Response admin(TestServer server, String method, String path, String token)
            throws Exception {
        HttpResponse<String> r = SignedRequest.HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.apiPort() + path))
                .header("Authorization", "Bearer " + token)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        return new SignedRequest.Response(r.statusCode(), r.body(), r.headers());
    }
}
