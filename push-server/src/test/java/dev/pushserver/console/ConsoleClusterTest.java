package dev.pushserver.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.AppsYaml;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.RedisProcess;
import dev.pushserver.testing.TestServer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on a real Redis: the console of node A counts node B's connection and channel, and its test event
 * reaches a subscriber on node B (cluster fan-out), while its live log shows what A observes.
 */
class ConsoleClusterTest {

    private static String yaml(String redisUrl, Path dataDir) {
        // app-1 has max_connections, so the nodes share its connection count; app-2 does not
        return "admin_token: " + ConsoleTest.TOKEN + "\n" + AppsYaml.apps(AppsYaml.app(1, "max_connections: 1000"),
                AppsYaml.app(2)) + "redis_url: " + redisUrl
                + "\nnode_timeout: 3\nwebhook_workers: 0\ndata_dir: " + dataDir + "\n";
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void countsAreClusterWideAndTheTestEventReachesTheOtherNode(@TempDir Path dir) throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                TestServer a = TestServer.start(yaml(redis.url(), dir.resolve("a")));
                TestServer b = TestServer.start(yaml(redis.url(), dir.resolve("b")));
                RawClient log = ConsoleTest.feed(a, "app-1");
                RawClient onB = RawClient.connect(b.wsUrl("key-1"))) {
            onB.socketId();
            onB.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"remote\"}}");
            onB.nextEvent("pusher_internal:subscription_succeeded");

            JsonNode apps = ConsoleTest.get(a.port(), "/console/api/apps", ConsoleTest.TOKEN).json();
            assertThat(apps.get("cluster").asBoolean()).isTrue();
            assertThat(apps.get("node").asText()).isNotEmpty();

            long deadline = System.currentTimeMillis() + 30_000;
            JsonNode stats;
            do {
                stats = ConsoleTest.get(a.port(), "/console/api/apps/app-1", ConsoleTest.TOKEN).json();
                if (stats.get("connections").get("cluster").asInt() == 1) {
                    break;
                }
                Thread.sleep(200);
            } while (System.currentTimeMillis() < deadline);
            assertThat(stats.get("connections").get("node").asInt()).as("%s", stats).isZero();
            assertThat(stats.get("connections").get("cluster").asInt()).as("%s", stats).isEqualTo(1);
            assertThat(stats.get("channels")).hasSize(1);
            assertThat(stats.get("channels").get(0).get("name").asText()).isEqualTo("remote");
            assertThat(stats.get("channels").get(0).get("subscription_count").asInt()).isEqualTo(1);

            JsonNode other = ConsoleTest.get(a.port(), "/console/api/apps/app-2", ConsoleTest.TOKEN).json();
            assertThat(other.get("connections").has("cluster")).as("no cluster-wide count for app-2: %s", other)
                    .isFalse();

            var r = ConsoleTest.http("POST", a.port(), "/console/api/apps/app-1/events", ConsoleTest.TOKEN,
                    "{\"channel\":\"remote\",\"event\":\"across\",\"data\":\"{}\"}");
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertThat(onB.nextEvent("across").get("channel").asText()).isEqualTo("remote");
            // node A observed its own API event; B's connection and subscription are not in A's log
            JsonNode seen = ConsoleTest.next(log, "server_event");
            assertThat(seen.get("event").asText()).isEqualTo("across");
        }
    }
}
