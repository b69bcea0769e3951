package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.TestServer;
import dev.pushserver.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hook system's command line: a malformed webhook or an unusable data_dir stops start-up with exit code 2 and a
 * message naming the key; {@code push-server hooks status | dead-letters | replay | reset} on a queue a real server
 * filled; and {@code push-server hooks} as a separate process that only delivers.
 */
class HooksCliTest {

    private static final String TARGET = "webhook:app-1:0";

    @TempDir
    Path dir;

    /** app-1 with one webhook (its lines, indented under {@code webhooks:}), the queue under {@code dataDir}. */
    private static String yaml(Path dataDir, String webhook, String... serverKeys) {
        StringBuilder y = new StringBuilder("apps:\n  - id: app-1\n    key: key-1\n    secret: secret-1\n"
                + "    webhooks:\n" + webhook + "data_dir: " + dataDir + "\n");
        for (String k : serverKeys) {
            y.append(k).append('\n');
        }
        return y.toString();
    }

    private Path write(String name, String yaml) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, yaml);
        return file;
    }

    // ---- malformed webhook configuration --------------------------------------------------------------------------

    /**
     * The webhook's lines ({@code |} separates them; each goes under {@code webhooks:}) and the key the message must
     * name.
     */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = ';', quoteCharacter = '"', value = {
            "- url: not-a-url                                            ; apps[0].webhooks[0].url",
            "- url: ftp://127.0.0.1/hook                                 ; apps[0].webhooks[0].url",
            "- url: /relative/hook                                       ; apps[0].webhooks[0].url",
            "- url: http://127.0.0.1:1/h|  event_types: [channel_occupied, channel_exploded] "
                    + "; apps[0].webhooks[0].event_types",
            "- url: http://127.0.0.1:1/h|  filter: {channel_pattern: '[unclosed'} "
                    + "; apps[0].webhooks[0].filter.channel_pattern",
            "- url: http://127.0.0.1:1/h|  colour: blue                  ; apps[0].webhooks[0].colour",
            "- url: http://127.0.0.1:1/h|  filter: {channel_prefx: a}    ; apps[0].webhooks[0].filter.channel_prefx",
            "- url: http://127.0.0.1:1/h|  headers: {X-Pusher-Signature: forged} "
                    + "; apps[0].webhooks[0].headers.X-Pusher-Signature",
            "- url: http://127.0.0.1:1/h|- url: 'http:/nohost'           ; apps[0].webhooks[1].url"})
    void malformedWebhookFailsServerAndHooksCommandsWithExit2NamingTheKey(String webhook, String key)
            throws Exception {
        Path dataDir = dir.resolve("data");
        StringBuilder lines = new StringBuilder();
        for (String line : webhook.strip().split("\\|")) {
            lines.append("      ").append(line).append('\n');
        }
        // port 0: should validation wrongly pass, the server must not take a fixed port
        Path file = write("bad.yaml", yaml(dataDir, lines.toString(), "port: 0"));
        for (String[] args : List.of(new String[] {"--config", file.toString()},
                new String[] {"hooks", "--config", file.toString()},
                new String[] {"hooks", "status", "--config", file.toString()},
                new String[] {"hooks", "replay", "--all", "--config", file.toString()})) {
            HookCli.Run run = HookCli.run(args);
            String what = String.join(" ", args);
            assertThat(run.exitCode()).as("exit code of %s; stderr: %s", what, run.err()).isEqualTo(2);
            assertThat(run.err()).as(what).contains("invalid configuration").contains("config key " + key + ":");
        }
        assertThat(dataDir).as("nothing is created for a configuration that is refused").doesNotExist();
    }

    /** The three the issue names, on a real process: {@code java ... Main --config f} exits 2 naming the key. */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = ';', quoteCharacter = '"', value = {
            "url: 'http//127.0.0.1/hook'                                     ; apps[0].webhooks[0].url",
            "{url: 'http://127.0.0.1:1/h', event_types: [member_joined]}    ; apps[0].webhooks[0].event_types",
            "{url: 'http://127.0.0.1:1/h', filter: {channel_pattern: '(a'}} "
                    + "; apps[0].webhooks[0].filter.channel_pattern"})
    void realProcessWithAMalformedWebhookExitsWith2NamingTheKey(String webhook, String key) throws Exception {
        String line = webhook.strip();
        Path file = write("bad.yaml", yaml(dir.resolve("data"), "      - " + line + "\n", "port: 0"));
        Path out = dir.resolve("out.log");
        Path err = dir.resolve("err.log");
        Process p = HookCli.process(out, err, "--config", file.toString());
        try {
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("process ends on its own").isTrue();
            assertThat(p.exitValue()).as("exit code; stderr: %s", Files.readString(err)).isEqualTo(2);
            assertThat(Files.readString(err)).contains("invalid configuration").contains("config key " + key + ":");
        } finally {
            p.destroyForcibly();
        }
    }

    // ---- unusable data_dir ----------------------------------------------------------------------------------------

    @Test
    void unwritableDataDirMakesTheServerProcessExit2NamingDataDir() throws Exception {
        Path blocker = dir.resolve("a-file");
        Files.writeString(blocker, "not a directory");
        Path dataDir = blocker.resolve("data"); // its parent is a regular file: it can never be created
        Path file = write("server.yaml", yaml(dataDir, "      - url: http://127.0.0.1:1/hook\n"));
        Path out = dir.resolve("out.log");
        Path err = dir.resolve("err.log");
        int port = GracefulStopTest.freePort();
        Process p = HookCli.process(out, err, "--config", file.toString(), "--port", String.valueOf(port));
        try {
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("process ends on its own; stdout:%n%s",
                    Files.exists(out) ? Files.readString(out) : "").isTrue();
            String stderr = Files.readString(err);
            assertThat(p.exitValue()).as("exit code; stderr: %s", stderr).isEqualTo(2);
            assertThat(stderr).contains("invalid configuration").contains("data_dir").contains(dataDir.toString());
            assertThat(Files.readString(out)).as("it never announced itself").doesNotContain("listening on");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void dataDirThatIsARegularFileFailsTheServerAndTheHooksCommandsWithExit2() throws Exception {
        Path dataDir = dir.resolve("data");
        Files.writeString(dataDir, "a file where the directory should be");
        Path file = write("server.yaml", yaml(dataDir, "      - url: http://127.0.0.1:1/hook\n", "port: 0"));
        for (String[] args : List.of(new String[] {"--config", file.toString()},
                new String[] {"hooks", "--config", file.toString()},
                new String[] {"hooks", "status", "--config", file.toString()},
                new String[] {"hooks", "dead-letters", "--config", file.toString()},
                new String[] {"hooks", "reset", "--config", file.toString()})) {
            HookCli.Run run = HookCli.run(args);
            String what = String.join(" ", args);
            assertThat(run.exitCode()).as("exit code of %s; stderr: %s", what, run.err()).isEqualTo(2);
            assertThat(run.err()).as(what).contains("data_dir").contains(dataDir.toString());
        }
        assertThat(Files.readString(dataDir)).as("the file is left alone").isEqualTo(
                "a file where the directory should be");
    }

    // ---- status, dead-letters, replay, reset ----------------------------------------------------------------------

    /**
     * Runs a server whose webhook always answers 500 with a retry period of 1 s, produces {@code channels} occupied and
     * vacated events, waits until every one is dead-lettered (watching with {@code hooks status} while the server
     * runs) and stops the server. Returns the ids the receiver was sent.
     */
    private Set<String> deadLettered(Path config, WebhookReceiver receiver, int channels) throws Exception {
        receiver.answer(n -> 500);
        int n = 2 * channels;
        try (TestServer server = TestServer.start(Files.readString(config))) {
            HookCli.occupyAndVacate(server.wsUrl("key-1"), "ch-", channels);
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                HookCli.Run status = HookCli.hooks(config, "status");
                assertThat(status.exitCode()).as(status.err()).isZero();
                assertThat(status.deadLetters()).as("dead letters; %s", status.out()).isEqualTo(n);
                assertThat(status.queued(TARGET)).as("still queued").isZero();
            });
        }
        Set<String> sent = new HashSet<>();
        receiver.requests().forEach(r -> r.events().forEach(e -> sent.add(e.get("id").asText())));
        assertThat(receiver.requests()).as("every attempt was answered 500").allMatch(r -> r.answered() == 500);
        assertThat(sent).as("ids the receiver was sent (and answered 500)").hasSize(n);
        return sent;
    }

    @Test
    void statusDeadLettersAndReplayOnAQueueFilledByARealServer() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("/hook")) {
            Path config = write("hooks.yaml", yaml(dir.resolve("data"), "      - url: " + receiver.url() + "\n"
                    + "        event_types: [channel_occupied, channel_vacated]\n", "webhook_retry_period: 1"));
            Set<String> ids = deadLettered(config, receiver, 3);

            HookCli.Run status = HookCli.hooks(config, "status");
            assertThat(status.exitCode()).isZero();
            assertThat(status.json().path("queue").asText()).isEqualTo(
                    dir.resolve("data").resolve("hooks.db").toAbsolutePath().toString());
            assertThat(status.json().path("queues").size()).as("nothing queued: %s", status.out()).isZero();
            assertThat(status.deadLetters()).isEqualTo(6);

            HookCli.Run dead = HookCli.hooks(config, "dead-letters");
            assertThat(dead.exitCode()).as(dead.err()).isZero();
            List<JsonNode> letters = new ArrayList<>();
            dead.json().path("dead_letters").forEach(letters::add);
            assertThat(letters).hasSize(6);
            assertThat(letters).extracting(d -> d.path("id").asText()).containsExactlyInAnyOrderElementsOf(ids);
            for (JsonNode d : letters) {
                assertThat(d.path("target").asText()).isEqualTo(TARGET);
                assertThat(d.path("last_error").asText()).as("last_error of %s", d).contains("500");
                assertThat(d.path("attempts").asInt()).isPositive();
                assertThat(d.path("name").asText()).isIn("channel_occupied", "channel_vacated");
                assertThat(d.path("channel").asText()).isIn("ch-0", "ch-1", "ch-2");
                assertThat(d.path("event").path("id").asText()).as("the event as it would be posted").isEqualTo(
                        d.path("id").asText());
                assertThat(d.path("event").path("name").asText()).isEqualTo(d.path("name").asText());
                assertThat(d.path("failed_ms").asLong()).isGreaterThanOrEqualTo(d.path("created_ms").asLong());
            }
            assertThat(letters.stream().map(d -> d.path("name").asText() + " " + d.path("channel").asText()))
                    .containsExactlyInAnyOrder("channel_occupied ch-0", "channel_occupied ch-1",
                            "channel_occupied ch-2", "channel_vacated ch-0", "channel_vacated ch-1",
                            "channel_vacated ch-2");

            HookCli.Run two = HookCli.hooks(config, "dead-letters", "--limit", "2");
            assertThat(two.json().path("dead_letters").size()).isEqualTo(2);
            assertThat(two.json().path("dead_letters").get(0).path("id").asText()).as("most recent first")
                    .isEqualTo(letters.get(0).path("id").asText());

            // one by id
            String first = letters.get(0).path("id").asText();
            HookCli.Run replayOne = HookCli.hooks(config, "replay", "--id", first);
            assertThat(replayOne.exitCode()).as(replayOne.err()).isZero();
            assertThat(replayOne.json().path("replayed").asInt()).isEqualTo(1);
            status = HookCli.hooks(config, "status");
            assertThat(status.queued(TARGET)).as("status after replay --id: %s", status.out()).isEqualTo(1);
            assertThat(status.deadLetters()).isEqualTo(5);
            assertThat(status.json().path("queues").path(TARGET).path("attempts").asInt())
                    .as("a replayed event starts again from zero attempts").isZero();
            assertThat(ids(HookCli.hooks(config, "dead-letters"))).hasSize(5).doesNotContain(first);

            // an id that is not dead-lettered changes nothing
            HookCli.Run replayNone = HookCli.hooks(config, "replay", "--id", "no-such-id");
            assertThat(replayNone.exitCode()).isZero();
            assertThat(replayNone.json().path("replayed").asInt()).isZero();
            status = HookCli.hooks(config, "status");
            assertThat(status.queued(TARGET)).isEqualTo(1);
            assertThat(status.deadLetters()).isEqualTo(5);

            // --id and --all together, or neither, is a usage error
            assertThat(HookCli.hooks(config, "replay").exitCode()).isEqualTo(2);
            assertThat(HookCli.hooks(config, "replay", "--all", "--id", first).exitCode()).isEqualTo(2);

            // the rest
            HookCli.Run replayAll = HookCli.hooks(config, "replay", "--all");
            assertThat(replayAll.exitCode()).isZero();
            assertThat(replayAll.json().path("replayed").asInt()).isEqualTo(5);
            status = HookCli.hooks(config, "status");
            assertThat(status.queued(TARGET)).as("status after replay --all: %s", status.out()).isEqualTo(6);
            assertThat(status.deadLetters()).isZero();
            assertThat(HookCli.hooks(config, "dead-letters").json().path("dead_letters").size()).isZero();

            // replayed events are delivered by the next server once the receiver accepts them
            receiver.answer(n -> 200);
            int before = receiver.requests().size();
            try (TestServer server = TestServer.start(Files.readString(config))) {
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> receiver.acceptedEvents().size() >= 6);
                Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                        .until(() -> HookCli.hooks(config, "status").queued(TARGET) == 0);
            }
            List<String> delivered = receiver.acceptedEvents().stream().map(e -> e.get("id").asText()).toList();
            assertThat(delivered).as("each replayed event once").containsExactlyInAnyOrderElementsOf(ids);
            assertThat(receiver.requests().size()).isGreaterThan(before);
            status = HookCli.hooks(config, "status");
            assertThat(status.json().path("queues").size()).isZero();
            assertThat(status.deadLetters()).isZero();
        }
    }

    @Test
    void resetDropsQueuedEventsAndDeadLetters() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("/hook")) {
            Path config = write("hooks.yaml", yaml(dir.resolve("data"), "      - url: " + receiver.url() + "\n"
                    + "        event_types: [channel_occupied, channel_vacated]\n", "webhook_retry_period: 1"));
            Set<String> ids = deadLettered(config, receiver, 3);
            // one queued again, five dead: reset must drop both kinds
            String one = ids.iterator().next();
            assertThat(HookCli.hooks(config, "replay", "--id", one).json().path("replayed").asInt()).isEqualTo(1);
            HookCli.Run status = HookCli.hooks(config, "status");
            assertThat(status.queued(TARGET)).isEqualTo(1);
            assertThat(status.deadLetters()).isEqualTo(5);

            HookCli.Run reset = HookCli.hooks(config, "reset");
            assertThat(reset.exitCode()).as(reset.err()).isZero();
            assertThat(reset.json().path("removed").asInt()).isEqualTo(6);
            status = HookCli.hooks(config, "status");
            assertThat(status.json().path("queues").size()).as(status.out()).isZero();
            assertThat(status.deadLetters()).isZero();
            assertThat(HookCli.hooks(config, "dead-letters").json().path("dead_letters").size()).isZero();
            assertThat(HookCli.hooks(config, "reset").json().path("removed").asInt()).as("nothing left").isZero();

            // and a server started on it has nothing to deliver
            receiver.answer(n -> 200);
            int before = receiver.requests().size();
            try (TestServer server = TestServer.start(Files.readString(config))) {
                Thread.sleep(1_500);
            }
            assertThat(receiver.requests()).as("nothing posted after the reset").hasSize(before);
        }
    }

    /** Waits until {@code hooks status} shows this many events queued for the webhook. */
    private static void awaitQueued(Path config, long n) {
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            HookCli.Run status = HookCli.hooks(config, "status");
            assertThat(status.exitCode()).as(status.err()).isZero();
            assertThat(status.queued(TARGET)).as("queued; status: %s", status.json()).isEqualTo(n);
        });
    }

    private static Set<String> ids(HookCli.Run deadLetters) {
        Set<String> out = new HashSet<>();
        deadLetters.json().path("dead_letters").forEach(d -> out.add(d.path("id").asText()));
        return out;
    }

    // ---- a separate delivery process ------------------------------------------------------------------------------

    @Test
    void aSeparateHooksProcessDeliversWhatAServerWithoutWorkersQueued() throws Exception {
        List<Process> processes = new ArrayList<>();
        try (WebhookReceiver receiver = WebhookReceiver.start("/hook")) {
            String webhook = "      - url: " + receiver.url() + "\n"
                    + "        event_types: [channel_occupied, channel_vacated]\n";
            // the WebSocket node only queues; the hooks process has the same apps and data_dir, with workers
            Path nodeConfig = write("node.yaml", yaml(dir.resolve("data"), webhook, "webhook_workers: 0"));
            Path config = write("hooks.yaml", yaml(dir.resolve("data"), webhook));
            try (TestServer server = TestServer.start(Files.readString(nodeConfig))) {
                HookCli.occupyAndVacate(server.wsUrl("key-1"), "queued-", 5);
                awaitQueued(config, 10);
                Thread.sleep(1_500);
                assertThat(receiver.requests()).as("a node with webhook_workers: 0 only queues").isEmpty();
                assertThat(HookCli.hooks(config, "status").queued(TARGET)).isEqualTo(10);

                Path out = dir.resolve("hooks-out.log");
                Path err = dir.resolve("hooks-err.log");
                Process hooks = HookCli.process(out, err, "hooks", "--config", config.toString());
                processes.add(hooks);
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    if (!hooks.isAlive()) {
                        throw new AssertionError("hooks process exited with " + hooks.exitValue() + ":\n"
                                + Files.readString(out) + Files.readString(err));
                    }
                    return receiver.acceptedEvents().size() >= 10;
                });
                // the backlog is gone from the queue before the node writes again (see HookStoreSnapshotTest: a
                // write by another process right after the hooks process started makes it deliver a batch twice)
                awaitQueued(config, 0);
                assertThat(receiver.acceptedEvents()).as("the backlog, each event once").hasSize(10);
                // while it runs, what the server queues from now on is delivered too
                HookCli.occupyAndVacate(server.wsUrl("key-1"), "live-", 2);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> receiver.acceptedEvents().size() >= 14);
                awaitQueued(config, 0);
                Thread.sleep(300); // a duplicate would have arrived by now

                List<JsonNode> events = receiver.acceptedEvents();
                assertThat(events.stream().map(e -> e.get("id").asText()).collect(Collectors.toSet()))
                        .as("each id once").hasSize(events.size());
                assertThat(events.stream().map(e -> e.get("name").asText() + " " + e.get("channel").asText()))
                        .containsExactlyInAnyOrder(
                                "channel_occupied queued-0", "channel_occupied queued-1", "channel_occupied queued-2",
                                "channel_occupied queued-3", "channel_occupied queued-4",
                                "channel_vacated queued-0", "channel_vacated queued-1", "channel_vacated queued-2",
                                "channel_vacated queued-3", "channel_vacated queued-4",
                                "channel_occupied live-0", "channel_occupied live-1",
                                "channel_vacated live-0", "channel_vacated live-1");
                assertThat(receiver.requests()).allMatch(r -> "key-1".equals(r.key()) && r.signature() != null);

                // a second delivery process on the same data_dir refuses to run
                Path out2 = dir.resolve("hooks2-out.log");
                Path err2 = dir.resolve("hooks2-err.log");
                Process second = HookCli.process(out2, err2, "hooks", "--config", config.toString());
                processes.add(second);
                assertThat(second.waitFor(20, TimeUnit.SECONDS)).as("the second hooks process ends on its own")
                        .isTrue();
                assertThat(second.exitValue()).as("exit code; stderr: %s", Files.readString(err2)).isEqualTo(1);
                assertThat(Files.readString(err2)).contains("another process already delivers")
                        .contains(dir.resolve("data").toAbsolutePath().toString());
                assertThat(hooks.isAlive()).as("the first one keeps running").isTrue();

                // SIGTERM stops the first one cleanly
                hooks.destroy();
                assertThat(hooks.waitFor(15, TimeUnit.SECONDS)).as("hooks process exits after SIGTERM").isTrue();
                String log = Files.readString(out) + Files.readString(err);
                // the JVM reports a SIGTERM as 143 (128 + 15) once its shutdown hooks have run
                assertThat(hooks.exitValue()).as("exit code; output:%n%s", log).isIn(0, 143);
                assertThat(log).as("no stack traces").doesNotContain("Exception");
            }
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
    }
}
