package dev.pushserver.api;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static org.assertj.core.api.Assertions.assertThat;

import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionState;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.ChannelRecorder;
import dev.pushserver.testing.RedisProcess;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.SignedRequest.Response;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Per-app HTTP API rate limits (max_backend_events_per_second, max_read_requests_per_second): over a budget the
 * answer is 429 with Retry-After and nothing is published; other apps are not affected; in a cluster the budget is
 * shared by every node.
 */
class ApiRateLimitTest {

    static final String APPS = apps(
            app(1, "max_backend_events_per_second: 10", "max_read_requests_per_second: 3"),
            app(2));

    private static Response trigger(TestServer server, String app, String key, String secret, String channelsJson,
            int n) {
        return SignedRequest.post(server.apiPort(), "/apps/" + app + "/events",
                "{\"name\":\"e\",\"channels\":" + channelsJson + ",\"data\":\"{\\\"n\\\":" + n + "}\"}")
                .credentials(key, secret).send();
    }

    @Test
    void aTriggerStormGets429WithRetryAfterAndOnlyTheAcceptedEventsAreDelivered() throws Exception {
        try (TestServer server = TestServer.start(APPS)) {
            Pusher client = server.pusherClient("key-1");
            ChannelRecorder recorder = new ChannelRecorder();
            try {
                client.connect();
                client.subscribe("storm").bind("e", recorder);
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED
                                && client.getChannel("storm").isSubscribed());
                int accepted = 0;
                List<Response> refused = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int i = 0; i < 40; i++) {
                    Response r = trigger(server, "app-1", "key-1", "secret-1", "[\"storm\"]", i);
                    if (r.status() == 200) {
                        accepted++;
                    } else {
                        refused.add(r);
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                // a burst of one second's worth, plus what refilled while the storm ran
                assertThat(accepted).isBetween(10, 10 + (int) Math.ceil(seconds * 10) + 1);
                assertThat(refused).isNotEmpty().allSatisfy(r -> {
                    assertThat(r.status()).isEqualTo(429);
                    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
                    assertThat(r.error()).contains("max_backend_events_per_second");
                });
                dev.pushserver.metrics.Scrape scrape = dev.pushserver.metrics.Scrape.get(server.port());
                assertThat(scrape.value("push_rate_limited_total", "app", "app-1", "limit", "backend_events"))
                        .isEqualTo(refused.size());
                int expected = accepted;
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events.size() >= expected);
                Thread.sleep(300);
                assertThat(recorder.events).hasSize(accepted); // a refused trigger published nothing

                // after Retry-After the app may publish again
                Thread.sleep(1100);
                assertThat(trigger(server, "app-1", "key-1", "secret-1", "[\"storm\"]", 99).status()).isEqualTo(200);
                // another app has its own (unlimited) budget
                for (int i = 0; i < 30; i++) {
                    assertThat(trigger(server, "app-2", "key-2", "secret-2", "[\"x\"]", i).status()).isEqualTo(200);
                }
            } finally {
                client.disconnect();
            }
        }
    }

    @Test
    void aTriggerCountsOneEventPerChannelAndABatchEachOfItsEvents() {
        try (TestServer server = TestServer.start(APPS)) {
            assertThat(trigger(server, "app-1", "key-1", "secret-1", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]", 1)
                    .status()).isEqualTo(200);
            // 6 of 10 taken: 10 more do not fit (until 0.6 s have refilled them), a batch of 4 does
            assertThat(trigger(server, "app-1", "key-1", "secret-1",
                    "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]", 2).status())
                    .isEqualTo(429);
            StringBuilder batch = new StringBuilder("{\"batch\":[");
            for (int i = 0; i < 4; i++) {
                batch.append(i == 0 ? "" : ",").append("{\"name\":\"e\",\"channel\":\"b").append(i)
                        .append("\",\"data\":\"x\"}");
            }
            batch.append("]}");
            Response r = SignedRequest.post(server.apiPort(), "/apps/app-1/batch_events", batch.toString())
                    .credentials("key-1", "secret-1").send();
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            // one request bigger than the whole budget can never pass: it says so
            StringBuilder many = new StringBuilder("[");
            for (int i = 0; i < 11; i++) {
                many.append(i == 0 ? "" : ",").append("\"m").append(i).append('"');
            }
            Response tooBig = trigger(server, "app-1", "key-1", "secret-1", many.append(']').toString(), 3);
            assertThat(tooBig.status()).isEqualTo(429);
            assertThat(tooBig.error()).contains("11 events at once").contains("split it");
        }
    }

    @Test
    void readRequestsHaveTheirOwnBudgetAndUnsignedRequestsSpendNothing() {
        try (TestServer server = TestServer.start(APPS)) {
            // requests that fail authentication do not spend the app's budget
            for (int i = 0; i < 10; i++) {
                assertThat(SignedRequest.get(server.apiPort(), "/apps/app-1/channels")
                        .credentials("key-1", "wrong-secret").send().status()).isEqualTo(401);
            }
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                statuses.add(SignedRequest.get(server.apiPort(), "/apps/app-1/channels")
                        .credentials("key-1", "secret-1").send().status());
            }
            assertThat(statuses.subList(0, 3)).containsOnly(200);
            assertThat(statuses).contains(429);
            Response refused = SignedRequest.get(server.apiPort(), "/apps/app-1/channels/presence-x/users")
                    .credentials("key-1", "secret-1").send();
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(refused.error()).contains("max_read_requests_per_second");
            assertThat(dev.pushserver.metrics.Scrape.get(server.port()).value("push_rate_limited_total", "app",
                    "app-1", "limit", "read_requests")).isGreaterThanOrEqualTo(2);
            // reads do not spend the events budget
            assertThat(trigger(server, "app-1", "key-1", "secret-1", "[\"a\"]", 1).status()).isEqualTo(200);
        }
    }

    @Test
    void inAClusterEveryNodeTakesFromOneBudget() throws Exception {
        try (RedisProcess redis = RedisProcess.start()) {
            String yaml = APPS + "redis_url: " + redis.url() + "\nnode_timeout: 3\nwebhook_workers: 0\n";
            try (TestServer a = TestServer.start(yaml); TestServer b = TestServer.start(yaml)) {
                com.pusher.rest.Pusher viaA = a.httpClient("app-1", "key-1", "secret-1");
                com.pusher.rest.Pusher viaB = b.httpClient("app-1", "key-1", "secret-1");
                int accepted = 0;
                int refused = 0;
                long t0 = System.nanoTime();
                for (int i = 0; i < 30; i++) {
                    Result r = (i % 2 == 0 ? viaA : viaB).trigger("c", "e", java.util.Map.of("n", i));
                    if (r.getHttpStatus() == 200) {
                        accepted++;
                    } else {
                        assertThat(r.getHttpStatus()).as(r.getMessage()).isEqualTo(429);
                        refused++;
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                // one budget of 10/s for both nodes, not 10/s each
                assertThat(accepted).isBetween(10, 10 + (int) Math.ceil(seconds * 10) + 1);
                assertThat(refused).isPositive();
            }
        }
    }
}
