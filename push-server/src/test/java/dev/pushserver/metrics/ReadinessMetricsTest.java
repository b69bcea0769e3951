package dev.pushserver.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pushserver.PushServer;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.store.MemoryStore;
import dev.pushserver.testing.RedisProcess;
import dev.pushserver.testing.TestServer;
import dev.pushserver.testing.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, items 1 and 2 with a real redis-server: Redis health in the metrics, /ready when the hook store is down. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadinessMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private String yaml(RedisProcess redis, WebhookReceiver hooks) {
        return "data_dir: " + dir + "\nredis_url: " + redis.url() + "\nredis_prefix: \"m:\"\n"
                + "apps:\n  - id: app-1\n    key: key-1\n    secret: secret-1\n"
                + "    webhooks:\n      - url: " + hooks.url() + "\n        event_types: [channel_occupied]\n";
    }

    /**
     * Channel state in memory (one node) but the hook queue in Redis: when Redis goes, only the hook store is down,
     * and /ready says so (503) until it is back.
     */
    @Test
    void readyIsUnavailableWhileTheHookStoreIsDown() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); WebhookReceiver hooks = WebhookReceiver.start("/h")) {
            ServerConfig cfg = ConfigLoader.fromYaml(yaml(redis, hooks) + "host: 127.0.0.1\nport: 0\n", Map.of());
            PushServer server = PushServer.start(cfg, MemoryStore::new);
            try {
                int port = server.port();
                await().atMost(WAIT).until(() -> Scrape.get(port, "/ready", null).status() == 200);
                redis.kill();
                Scrape down = await().atMost(WAIT).until(() -> Scrape.get(port, "/ready", null),
                        r -> r.status() == 503);
                assertThat(down.body()).contains("hook queue");
                assertThat(Scrape.get(port, "/health", null).status()).isEqualTo(200); // alive, not ready
                redis.up();
                await().atMost(WAIT).until(() -> Scrape.get(port, "/ready", null).status() == 200);
            } finally {
                server.stop();
            }
        }
    }

    @Test
    void redisHealthAndLatencyOfAClusterNode() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); WebhookReceiver hooks = WebhookReceiver.start("/h");
                TestServer server = TestServer.start(yaml(redis, hooks))) {
            Scrape up = await().atMost(WAIT).until(() -> Scrape.get(server.port()),
                    s -> s.value("push_redis_up") == 1);
            assertThat(up.value("push_redis_ping_seconds")).isPositive().isLessThan(2);
            redis.kill();
            await().atMost(WAIT).until(() -> Scrape.get(server.port()).value("push_redis_up") == 0);
            assertThat(Scrape.get(server.port(), "/ready", null).status()).isEqualTo(503);
            redis.up();
            await().atMost(WAIT).until(() -> Scrape.get(server.port()).value("push_redis_up") == 1);
        }
    }
}
