package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hook queue survives kill -9: a real server process with undelivered events in its SQLite queue is killed with
 * SIGKILL while the receiver is down; once the receiver is back and the server started again on the same data_dir,
 * every event that was queued arrives (at least once), and nothing that was never emitted does.
 */
class HookDurabilityTest {

    private static final String TARGET = "webhook:app-1:0";
    private static final int CHANNELS = 100;
    private static final int EVENTS = 2 * CHANNELS; // channel_occupied + channel_vacated per channel

    @TempDir
    Path dir;

    @Test
    void eventsQueuedBeforeAKill9AreDeliveredAfterTheRestart() throws Exception {
        Path dataDir = dir.resolve("data");
        Process first = null;
        Process second = null;
        try (WebhookReceiver receiver = WebhookReceiver.start("/hook")) {
            receiver.down(); // every delivery attempt fails: the events stay queued
            Path config = dir.resolve("server.yaml");
            Files.writeString(config, "apps:\n  - id: app-1\n    key: key-1\n    secret: secret-1\n"
                    + "    max_subscriptions_per_second: 10000\n"
                    + "    webhooks:\n      - url: " + receiver.url() + "\n"
                    + "        event_types: [channel_occupied, channel_vacated]\n"
                    + "data_dir: " + dataDir + "\n"
                    + "max_connections_per_ip: 0\nmax_new_connections_per_ip_per_second: 0\n");

            int port = GracefulStopTest.freePort();
            Path log1 = dir.resolve("first.log");
            first = GracefulStopTest.startServerProcess(port, Map.of(), log1, "--config", config.toString());
            GracefulStopTest.awaitListening(first, port, log1);
            String ws = "ws://127.0.0.1:" + port + "/app/key-1?protocol=7&client=js&version=8.4.0";
            HookCli.occupyAndVacate(ws, "a-", CHANNELS / 2);
            HookCli.occupyAndVacate(ws, "b-", CHANNELS / 2);

            // stored: `push-server hooks status` reads the queue while the server runs
            Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                HookCli.Run status = HookCli.hooks(config, "status");
                assertThat(status.exitCode()).as(status.err()).isZero();
                assertThat(status.queued(TARGET)).as("queued; status: %s", status.json()).isEqualTo(EVENTS);
            });
            Map<String, String> emitted = queuedEvents(dataDir);
            assertThat(emitted).as("ids in the queue").hasSize(EVENTS);
            Set<String> expected = new HashSet<>();
            for (String prefix : List.of("a-", "b-")) {
                for (int i = 0; i < CHANNELS / 2; i++) {
                    expected.add("channel_occupied " + prefix + i);
                    expected.add("channel_vacated " + prefix + i);
                }
            }
            assertThat(new HashSet<>(emitted.values())).as("one occupied and one vacated per channel")
                    .isEqualTo(expected);
            assertThat(receiver.requests()).as("the receiver is down").isEmpty();

            first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, no close
            assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).as("killed by SIGKILL").isEqualTo(137);

            receiver.up();
            int port2 = GracefulStopTest.freePort();
            Path log2 = dir.resolve("second.log");
            second = GracefulStopTest.startServerProcess(port2, Map.of(), log2, "--config", config.toString());
            GracefulStopTest.awaitListening(second, port2, log2);
            Awaitility.await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(100))
                    .until(() -> ids(receiver.acceptedEvents()).containsAll(emitted.keySet()));
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> HookCli.hooks(config, "status").queued(TARGET) == 0);
            Thread.sleep(300); // a late duplicate would have arrived by now

            List<JsonNode> accepted = receiver.acceptedEvents();
            Set<String> delivered = ids(accepted);
            Set<String> lost = new HashSet<>(emitted.keySet());
            lost.removeAll(delivered);
            Set<String> unexpected = new HashSet<>(delivered);
            unexpected.removeAll(emitted.keySet());
            int duplicates = accepted.size() - delivered.size();
            System.out.printf("[hooks] kill -9 with %d events in the SQLite queue, receiver down: emitted=%d "
                    + "delivered=%d duplicates=%d lost=%d unexpected=%d (%d requests after the restart)%n",
                    emitted.size(), emitted.size(), delivered.size() - unexpected.size(), duplicates, lost.size(),
                    unexpected.size(), receiver.requests().size());

            assertThat(lost).as("lost event ids").isEmpty();
            assertThat(unexpected).as("ids that were never emitted").isEmpty();
            for (JsonNode e : accepted) {
                assertThat(e.get("name").asText() + " " + e.get("channel").asText()).as("event %s", e)
                        .isEqualTo(emitted.get(e.get("id").asText()));
            }
            assertThat(HookCli.hooks(config, "status").deadLetters()).isZero();
        } finally {
            if (second != null) {
                second.destroy();
                if (!second.waitFor(15, TimeUnit.SECONDS)) {
                    second.destroyForcibly();
                }
            }
            if (first != null) {
                first.destroyForcibly();
            }
        }
    }

    private static Set<String> ids(List<JsonNode> events) {
        Set<String> out = new HashSet<>();
        events.forEach(e -> out.add(e.get("id").asText()));
        return out;
    }

    /** The queued events, read from the SQLite file as the server left it: id to "name channel". */
    private static Map<String, String> queuedEvents(Path dataDir) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("hooks.db"));
                Statement s = db.createStatement();
                ResultSet r = s.executeQuery("SELECT id, name, channel FROM hook_queue WHERE target = '" + TARGET
                        + "'")) {
            while (r.next()) {
                String previous = out.put(r.getString(1), r.getString(2) + " " + r.getString(3));
                assertThat(previous).as("id %s queued twice", r.getString(1)).isNull();
            }
        }
        return out;
    }
}
