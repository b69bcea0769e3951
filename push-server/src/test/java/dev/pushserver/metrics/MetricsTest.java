package dev.pushserver.metrics;

import static dev.pushserver.testing.Messages.clientEvent;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.pusher.rest.data.Result;
import dev.pushserver.testing.AppsYaml;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import dev.pushserver.testing.WebhookReceiver;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, item 1: /metrics after scripted traffic from real clients, scraped as Prometheus does. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static final String TWO_APPS = AppsYaml.apps(
            AppsYaml.app(1, "enable_client_messages: true", "max_client_events_per_second: 2"),
            AppsYaml.app(2));

    @TempDir
    java.nio.file.Path dir;

    @Test
    void trafficMovesTheCountersOfItsApp() throws Exception {
        try (TestServer server = TestServer.start(TWO_APPS);
                RawClient a = RawClient.connect(server.wsUrl("key-1"));
                RawClient b = RawClient.connect(server.wsUrl("key-1"));
                RawClient other = RawClient.connect(server.wsUrl("key-2"))) {
            String sa = a.socketId();
            String sb = b.socketId();
            other.socketId();
            for (RawClient c : new RawClient[] {a, b}) {
                c.send(subscribe("news"));
                c.nextEvent("pusher_internal:subscription_succeeded");
            }
            a.send(subscribePresence("key-1", "secret-1", sa, "presence-room", "{\"user_id\":\"u1\"}"));
            a.nextEvent("pusher_internal:subscription_succeeded");
            b.send(subscribePresence("key-1", "secret-1", sb, "presence-room", "{\"user_id\":\"u2\"}"));
            b.nextEvent("pusher_internal:subscription_succeeded");
            a.nextEvent("pusher_internal:member_added");

            Scrape before = Scrape.get(server.port());
            assertThat(before.status()).isEqualTo(200);
            assertThat(before.contentType()).startsWith("text/plain");
            assertThat(before.value("push_connections", "app", "app-1")).isEqualTo(2);
            assertThat(before.value("push_connections", "app", "app-2")).isEqualTo(1);
            assertThat(before.value("push_connections_opened_total", "app", "app-1")).isEqualTo(2);
            assertThat(before.value("push_subscriptions", "app", "app-1", "type", "public")).isEqualTo(2);
            assertThat(before.value("push_subscriptions", "app", "app-1", "type", "presence")).isEqualTo(2);
            assertThat(before.value("push_channels_occupied", "app", "app-1", "type", "public")).isEqualTo(1);
            assertThat(before.value("push_channels_occupied", "app", "app-1", "type", "presence")).isEqualTo(1);
            assertThat(before.value("push_subscriptions", "app", "app-2")).isZero();
            assertThat(before.value("push_presence_members", "app", "app-1")).isEqualTo(2);
            // the member_added went to a: one fan-out delivery so far
            assertThat(before.value("push_fanout_deliveries_total", "app", "app-1")).isEqualTo(1);
            // JVM and Netty memory are there too
            assertThat(before.has("jvm_memory_used_bytes")).isTrue();
            assertThat(before.has("jvm_gc_pause_seconds_count") || before.has("jvm_gc_memory_allocated_bytes_total"))
                    .isTrue();
            assertThat(before.has("process_cpu_usage") || before.has("system_cpu_count")).isTrue();
            assertThat(before.has("push_netty_memory_used_bytes", "area", "direct")).isTrue();

            // an HTTP trigger with the official server library: one request, two deliveries
            Result r = server.httpClient("app-1", "key-1", "secret-1").trigger("news", "update", Map.of("n", 1));
            assertThat(r.getHttpStatus()).isEqualTo(200);
            String delivered = a.nextEvent("update").toString();
            b.nextEvent("update");
            // three pings from a: three messages in, three pongs out
            for (int i = 0; i < 3; i++) {
                a.send(Messages.PING);
                a.nextEvent("pusher:pong");
            }
            // a client event on a public channel is refused; app-2 has client events off
            a.send(clientEvent("client-x", "news", "{}"));
            a.nextEvent("pusher:error");
            other.send(clientEvent("client-x", "news", "{}"));
            other.nextEvent("pusher:error");
            // ten client events from b at once: at most 2 per second pass (a few windows at worst), the rest are
            // refused by max_client_events_per_second
            for (int i = 0; i < 10; i++) {
                b.send(clientEvent("client-typing", "presence-room", "{\"i\":" + i + "}"));
            }
            // a's client close frame (1000) shows as the close code of app-2's connection
            other.socket().sendClose(1000, "bye").join();

            Scrape after = await().atMost(WAIT).until(() -> Scrape.get(server.port()),
                    s -> s.value("push_client_events_total", "app", "app-1")
                            + s.value("push_client_events_rejected_total", "app", "app-1", "reason", "rate_limit") == 10
                            && s.value("push_connections", "app", "app-2") == 0);
            double accepted = after.value("push_client_events_total", "app", "app-1");
            double limited = after.value("push_client_events_rejected_total", "app", "app-1", "reason", "rate_limit");
            assertThat(accepted).isBetween(2.0, 4.0);
            assertThat(limited).isBetween(6.0, 8.0);
            assertThat(after.value("push_rate_limited_total", "app", "app-1", "limit", "max_client_events_per_second"))
                    .isEqualTo(limited);
            assertThat(after.value("push_client_events_rejected_total", "app", "app-1", "reason", "channel_type"))
                    .isEqualTo(1);
            assertThat(after.value("push_client_events_rejected_total", "app", "app-2", "reason", "disabled"))
                    .isEqualTo(1);
            assertThat(after.value("push_client_events_total", "app", "app-2")).isZero();
            // every accepted client event reaches a (b is excluded as the sender)
            for (int i = 0; i < accepted; i++) {
                a.nextEvent("client-typing");
            }
            assertThat(after.value("push_fanout_deliveries_total", "app", "app-1")
                    - before.value("push_fanout_deliveries_total", "app", "app-1")).isEqualTo(2 + accepted);
            // in: 3 pings + 1 client event from a, 10 from b
            assertThat(after.value("push_messages_in_total", "app", "app-1")
                    - before.value("push_messages_in_total", "app", "app-1")).isEqualTo(14);
            assertThat(after.value("push_messages_in_bytes_total", "app", "app-1")
                    - before.value("push_messages_in_bytes_total", "app", "app-1")).isGreaterThan(14 * 20);
            // out: 2 deliveries + 3 pongs + the accepted client events + an error per refused one (at least)
            double out = after.value("push_messages_out_total", "app", "app-1")
                    - before.value("push_messages_out_total", "app", "app-1");
            assertThat(out).isGreaterThanOrEqualTo(2 + 3 + accepted + limited + 1);
            assertThat(after.value("push_messages_out_bytes_total", "app", "app-1")
                    - before.value("push_messages_out_bytes_total", "app", "app-1"))
                    .isGreaterThan(2.0 * delivered.length() / 2);
            // the HTTP API: one trigger, by endpoint and status, with its latency histogram
            assertThat(after.value("push_http_requests_seconds_count", "app", "app-1", "endpoint", "events",
                    "status", "200")).isEqualTo(1);
            assertThat(after.value("push_http_requests_seconds_bucket", "app", "app-1", "endpoint", "events",
                    "status", "200", "le", "+Inf")).isEqualTo(1);
            assertThat(after.value("push_http_requests_seconds_sum", "app", "app-1", "endpoint", "events"))
                    .isPositive();
            // app-2's connection went with the client's close code
            assertThat(after.value("push_connections_closed_total", "app", "app-2", "code", "1000")).isEqualTo(1);
            assertThat(after.value("push_connections_closed_total", "app", "app-1")).isZero();
            assertThat(after.value("push_connections", "app", "app-1")).isEqualTo(2);
        }
    }

    @Test
    void twoServersInOneJvmKeepTheirOwnNumbers() throws Exception {
        try (TestServer one = TestServer.start(TWO_APPS);
                TestServer two = TestServer.start(TWO_APPS);
                RawClient a = RawClient.connect(one.wsUrl("key-1"));
                RawClient b = RawClient.connect(one.wsUrl("key-1"));
                RawClient c = RawClient.connect(two.wsUrl("key-1"))) {
            a.socketId();
            b.socketId();
            c.socketId();
            c.send(subscribe("solo"));
            c.nextEvent("pusher_internal:subscription_succeeded");
            await().atMost(WAIT).untilAsserted(() -> {
                Scrape s1 = Scrape.get(one.port());
                Scrape s2 = Scrape.get(two.port());
                assertThat(s1.value("push_connections", "app", "app-1")).isEqualTo(2);
                assertThat(s1.value("push_connections_opened_total", "app", "app-1")).isEqualTo(2);
                assertThat(s1.value("push_subscriptions", "app", "app-1")).isZero();
                assertThat(s2.value("push_connections", "app", "app-1")).isEqualTo(1);
                assertThat(s2.value("push_connections_opened_total", "app", "app-1")).isEqualTo(1);
                assertThat(s2.value("push_subscriptions", "app", "app-1", "type", "public")).isEqualTo(1);
            });
            assertThat(one.server().metrics().registry()).isNotSameAs(two.server().metrics().registry());
        }
    }

    @Test
    void aTokenProtectsTheMetrics() throws Exception {
        try (TestServer server = TestServer.start("metrics_token: s3cret-token\n" + TWO_APPS)) {
            Scrape none = Scrape.get(server.port(), "/metrics", null);
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.body()).doesNotContain("push_connections");
            assertThat(Scrape.get(server.port(), "/metrics", "Bearer wrong").status()).isEqualTo(401);
            assertThat(Scrape.get(server.port(), "/metrics", "Bearer s3cret-token-and-more").status()).isEqualTo(401);
            Scrape ok = Scrape.get(server.port(), "/metrics", "Bearer s3cret-token");
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.has("push_connections", "app", "app-1")).isTrue();
        }
    }

    @Test
    void metricsPortServesMetricsAndHealthOnly() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (TestServer server = TestServer.start("metrics_port: " + port + "\n" + TWO_APPS)) {
            assertThat(server.server().metricsPort()).isEqualTo(port);
            assertThat(Scrape.get(server.port()).status()).isEqualTo(404);
            Scrape ok = Scrape.get(port);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.has("push_connections", "app", "app-2")).isTrue();
            assertThat(Scrape.get(port, "/health", null).status()).isEqualTo(200);
            assertThat(Scrape.get(port, "/ready", null).status()).isEqualTo(404);
            assertThat(Scrape.get(port, "/apps/app-1/channels", null).status()).isEqualTo(404);
            assertThat(Scrape.get(server.port(), "/health", null).status()).isEqualTo(200);
        }
    }

    @Test
    void metricsOffIsNotFound() throws Exception {
        try (TestServer server = TestServer.start("metrics: false\n" + TWO_APPS)) {
            assertThat(Scrape.get(server.port()).status()).isEqualTo(404);
            assertThat(server.server().metricsPort()).isEqualTo(-1);
        }
    }

    @Test
    void limitsAndApiErrorsAreCountedWithoutTheRawPath() throws Exception {
        // one address over max_connections_per_ip (server-wide: app="")
        try (TestServer server = TestServer.start("max_connections_per_ip: 1\n" + TWO_APPS)) {
            try (RawClient a = RawClient.connect(server.wsUrl("key-1"));
                    RawClient b = RawClient.connect(server.wsUrl("key-2"))) {
                a.socketId();
                assertThat(b.closeCode(10)).isEqualTo(4100);
            }
            // scraped once the clients are gone (the scrape is a connection from the same address)
            Scrape s = await().atMost(WAIT).until(() -> Scrape.get(server.port()),
                    x -> x.status() == 200 && x.value("push_connections", "app", "app-1") == 0);
            assertThat(s.value("push_rate_limited_total", "app", "", "limit", "max_connections_per_ip")).isEqualTo(1);
            assertThat(s.value("push_rate_limited_total", "app", "app-2")).isZero();
        }
        String yaml = AppsYaml.apps(AppsYaml.app(1, "max_connections: 1", "max_messages_per_second: 5",
                "max_channels_per_connection: 3", "max_subscriptions_per_second: 1"));
        try (TestServer server = TestServer.start(yaml)) {
            try (RawClient a = RawClient.connect(server.wsUrl("key-1"));
                    RawClient b = RawClient.connect(server.wsUrl("key-1"))) {
                a.socketId();
                assertThat(b.closeCode(10)).isEqualTo(4100); // app-1 is at its max_connections of 1
                // 5 subscribes at once with a burst of 3 and 1 more per second: at least one is refused
                for (int i = 0; i < 5; i++) {
                    a.send(subscribe("s" + i));
                }
                await().atMost(WAIT).until(() -> Scrape.get(server.port()).value("push_rate_limited_total", "app",
                        "app-1", "limit", "max_subscriptions_per_second") >= 1);
                Thread.sleep(1_100); // a fresh message window
                // 12 messages at once with a limit of 5 per second: some are refused, whatever the window
                for (int i = 0; i < 12; i++) {
                    a.send(Messages.PING);
                }
                await().atMost(WAIT).until(() -> Scrape.get(server.port()).value("push_rate_limited_total", "app",
                        "app-1", "limit", "max_messages_per_second") >= 1);
            }
            // a bad signature, an unknown app and a channel query
            SignedRequest.Response bad = SignedRequest.post(server.port(), "/apps/app-1/events",
                    "{\"name\":\"e\",\"channel\":\"c\",\"data\":\"{}\"}").credentials("key-1", "wrong").send();
            assertThat(bad.status()).isEqualTo(401);
            assertThat(SignedRequest.get(server.port(), "/apps/nope/channels").credentials("key-1", "secret-1").send()
                    .status()).isEqualTo(404);
            assertThat(SignedRequest.get(server.port(), "/apps/app-1/channels/presence-xy/users")
                    .credentials("key-1", "secret-1").send().status()).isEqualTo(200);

            Scrape s = await().atMost(WAIT).until(() -> Scrape.get(server.port()),
                    x -> x.value("push_connections", "app", "app-1") == 0);
            assertThat(s.value("push_rate_limited_total", "app", "app-1", "limit", "max_connections")).isEqualTo(1);
            assertThat(s.value("push_connections_closed_total", "app", "app-1")).isEqualTo(1);
            assertThat(s.value("push_http_requests_seconds_count", "app", "app-1", "endpoint", "events",
                    "status", "401")).isEqualTo(1);
            assertThat(s.value("push_http_requests_seconds_count", "app", "", "endpoint", "other", "status", "404"))
                    .isEqualTo(1);
            assertThat(s.value("push_http_requests_seconds_count", "app", "app-1", "endpoint", "users")).isEqualTo(1);
            assertThat(s.body()).doesNotContain("nope").doesNotContain("presence-x");
        }
    }

    @Test
    void aDeliveredWebhookShowsInTheWebhookCounters() throws Exception {
        try (WebhookReceiver hooks = WebhookReceiver.start("/hooks");
                TestServer server = TestServer.start("data_dir: " + dir + "\n" + AppsYaml.apps(AppsYaml.app(1,
                        "webhooks:\n      - url: " + hooks.url() + "\n        event_types: [channel_occupied]")));
                RawClient a = RawClient.connect(server.wsUrl("key-1"))) {
            a.socketId();
            hooks.answer(n -> n == 0 ? 500 : 200); // the first attempt fails, the retry (after ~1 s) is taken
            assertThat(Scrape.get(server.port()).value("push_webhooks_delivered_total")).isZero();
            a.send(subscribe("hooked"));
            a.nextEvent("pusher_internal:subscription_succeeded");
            Scrape s = await().atMost(WAIT).until(() -> Scrape.get(server.port()),
                    x -> x.value("push_webhooks_delivered_total") == 1);
            assertThat(hooks.requests()).hasSize(2);
            assertThat(s.value("push_webhooks_retried_total")).isEqualTo(1);
            assertThat(s.value("push_webhook_queue_depth")).isZero();
            assertThat(s.value("push_webhooks_dead_lettered_total")).isZero();
        }
    }

    @Test
    void aWebhookPastItsRetryPeriodIsCountedAsDeadLettered() throws Exception {
        try (WebhookReceiver hooks = WebhookReceiver.start("/hooks");
                TestServer server = TestServer.start("data_dir: " + dir + "\nwebhook_retry_period: 0\n"
                        + AppsYaml.apps(AppsYaml.app(1, "webhooks:\n      - url: " + hooks.url()
                        + "\n        event_types: [channel_occupied]")));
                RawClient a = RawClient.connect(server.wsUrl("key-1"))) {
            a.socketId();
            hooks.answer(n -> 503);
            a.send(subscribe("doomed"));
            a.nextEvent("pusher_internal:subscription_succeeded");
            Scrape s = await().atMost(WAIT).until(() -> Scrape.get(server.port()),
                    x -> x.value("push_webhooks_dead_lettered_total") == 1);
            assertThat(s.value("push_webhooks_delivered_total")).isZero();
            assertThat(s.value("push_webhook_queue_depth")).isZero();
        }
    }
}
