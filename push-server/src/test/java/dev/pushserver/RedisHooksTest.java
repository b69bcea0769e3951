package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.rest.data.Validity;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.RedisProcess;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import dev.pushserver.testing.WebhookReceiver;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hook queue in Redis (redis_url set), with real redis-server processes: delivery through the streams, Redis
 * killed mid-stream (events written aside to SQLite, moved back, none lost), a hook worker killed with a batch in
 * flight (another takes its destination over after pending_timeout and delivers it again), and the tools on Redis.
 * Each fault test prints emitted / delivered / duplicates / lost as a {@code [hooks]} line.
 */
class RedisHooksTest {

    private static final String TARGET = "webhook:app-1:0";

    @TempDir
    Path dir;

    private static String yaml(Path dataDir, String redisUrl, String webhookUrl, String... serverKeys) {
        StringBuilder y = new StringBuilder("apps:\n  - id: app-1\n    key: key-1\n    secret: secret-1\n"
                + "    webhooks:\n      - url: " + webhookUrl + "\n"
                + "        event_types: [channel_occupied, channel_vacated]\n"
                + "data_dir: " + dataDir + "\nredis_url: " + redisUrl + "\nredis_prefix: \"t:\"\n");
        for (String k : serverKeys) {
            y.append(k).append('\n');
        }
        return y.toString();
    }

    /** Subscribes and unsubscribes {@code n} channels on one connection: 2n hook events. */
    private static void churn(TestServer server, String prefix, int from, int n) throws Exception {
        try (RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            for (int i = from; i < from + n; i++) {
                c.send(Messages.subscribe(prefix + i));
                c.nextEvent("pusher_internal:subscription_succeeded");
                c.send(Messages.unsubscribe(prefix + i));
            }
            c.send(Messages.PING);
            c.nextEvent("pusher:pong");
        }
    }

    private static long distinct(WebhookReceiver r) {
        return r.acceptedEvents().stream().map(e -> e.get("id").asText()).distinct().count();
    }

    private static void awaitDistinct(WebhookReceiver r, int n, int seconds) {
        Awaitility.await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(100))
                .until(() -> distinct(r) >= n);
    }

    /** emitted / delivered / duplicates / lost against {@code expected} distinct events; returns lost. */
    private static long report(String test, WebhookReceiver r, int expected) {
        List<JsonNode> accepted = r.acceptedEvents();
        Map<String, Integer> perId = new HashMap<>();
        accepted.forEach(e -> perId.merge(e.get("id").asText(), 1, Integer::sum));
        long lost = Math.max(0, expected - perId.size());
        System.out.println("[hooks] " + test + ": emitted " + expected + ", delivered " + perId.size()
                + ", duplicates " + (accepted.size() - perId.size()) + ", lost " + lost + ", requests "
                + r.requests().size());
        return lost;
    }

    /** Per channel, occupied arrives before vacated. */
    private static void assertOrderPerChannel(WebhookReceiver r) {
        Map<String, List<String>> perChannel = r.acceptedEvents().stream().collect(Collectors.groupingBy(
                e -> e.get("channel").asText(), Collectors.mapping(e -> e.get("name").asText(), Collectors.toList())));
        perChannel.forEach((channel, names) -> {
            assertThat(names.stream().distinct().toList()).as(channel)
                    .containsExactly("channel_occupied", "channel_vacated");
        });
    }

    private static SignedRequest.Response admin(TestServer server, String path) throws Exception {
        HttpResponse<String> r = SignedRequest.HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.apiPort() + path))
                .header("Authorization", "Bearer tok").GET().build(), HttpResponse.BodyHandlers.ofString());
        return new SignedRequest.Response(r.statusCode(), r.body(), r.headers());
    }

    @Test
    void eventsGoThroughTheRedisStreamSignedInOrderAndLeaveNothingBehind() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); WebhookReceiver receiver = WebhookReceiver.start("/hook");
                TestServer server = TestServer.start(yaml(dir.resolve("data"), redis.url(), receiver.url(),
                        "admin_token: tok"))) {
            churn(server, "r-", 0, 25);
            awaitDistinct(receiver, 50, 20);
            assertThat(report("through Redis", receiver, 50)).isZero();
            assertOrderPerChannel(receiver);
            com.pusher.rest.Pusher sdk = new com.pusher.rest.Pusher("app-1", "key-1", "secret-1");
            for (WebhookReceiver.Request req : receiver.requests()) {
                assertThat(sdk.validateWebhookSignature(req.key(), req.signature(), req.body()))
                        .as("pusher-http-java accepts %s", req.body()).isEqualTo(Validity.VALID);
            }

            RedisClient client = RedisClient.create(redis.url());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                String stream = "t:hooks:q:" + TARGET;
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> c.sync().xlen(stream) == 0);
                assertThat(c.sync().smembers("t:hooks:targets")).containsExactly(TARGET);
                assertThat(c.sync().xpending(stream, "hooks").getCount()).as("nothing left unacknowledged")
                        .isZero();
                assertThat(c.sync().exists("t:hooks:try:" + TARGET)).isZero();
            } finally {
                client.shutdown();
            }
            JsonNode status = admin(server, "/admin/hooks").json();
            assertThat(status.get("queue").asText()).contains("Redis").contains("t:hooks:");
            assertThat(status.get("emitted").asLong()).isEqualTo(50);
            assertThat(status.get("delivered").asLong()).isEqualTo(50);
            assertThat(status.get("waiting_for_redis").asLong()).isZero();
            assertThat(Files.exists(dir.resolve("data/hooks.db"))).as("the local queue for Redis outages").isTrue();
        }
    }

    /**
     * Redis is killed while server events keep coming (HTTP triggers, which a node decides alone; channel
     * transitions wait for Redis, since they are cluster-wide): those events are written aside to SQLite and moved
     * back when Redis returns, none lost, in order.
     */
    @Test
    void redisKilledMidStreamLosesNothing() throws Exception {
        try (RedisProcess redis = RedisProcess.durable(); WebhookReceiver receiver = WebhookReceiver.start("/hook");
                TestServer server = TestServer.start(yaml(dir.resolve("data"), redis.url(), receiver.url(),
                        "admin_token: tok").replace("[channel_occupied, channel_vacated]", "[server_event]"))) {
            AtomicInteger triggered = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong asideSeen = new AtomicLong();
            List<Throwable> errors = new ArrayList<>();
            Thread emitter = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        int n = triggered.get();
                        SignedRequest.Response r = SignedRequest.post(server.apiPort(), "/apps/app-1/events",
                                "{\"name\":\"e\",\"channel\":\"stream\",\"data\":\"" + n + "\"}")
                                .credentials("key-1", "secret-1").send();
                        assertThat(r.status()).as(r.body()).isEqualTo(200);
                        triggered.incrementAndGet();
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    errors.add(t);
                }
            }, "emitter");
            emitter.start();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> distinct(receiver) >= 40);
            redis.kill();
            long killedAt = triggered.get();
            // events keep coming while Redis is away: they are written aside to the local SQLite queue
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
                long aside = admin(server, "/admin/hooks").json().get("waiting_for_redis").asLong();
                asideSeen.accumulateAndGet(aside, Math::max);
                return aside >= 20;
            });
            Thread.sleep(1_000);
            redis.up();
            Thread.sleep(1_000);
            stop.set(true);
            emitter.join(10_000);
            assertThat(errors).isEmpty();
            int expected = triggered.get();
            System.out.println("[hooks] Redis killed after " + killedAt + " events; " + expected
                    + " events in all; up to " + asideSeen.get() + " events waited in SQLite");
            awaitDistinct(receiver, expected, 60);
            assertThat(report("redis-server killed mid-stream", receiver, expected)).isZero();
            // in order: the first delivery of each event comes after the first delivery of every earlier one
            List<Integer> firsts = receiver.acceptedEvents().stream()
                    .collect(Collectors.toMap(e -> e.get("id").asText(), e -> Integer.parseInt(e.get("data").asText()),
                            (a, b) -> a, java.util.LinkedHashMap::new)).values().stream().toList();
            assertThat(firsts).isSorted();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    admin(server, "/admin/hooks").json().get("waiting_for_redis").asLong() == 0);
            assertThat(receiver.acceptedEvents()).hasSizeGreaterThanOrEqualTo(expected);
        }
    }

    @Test
    void aHookWorkerKilledWithABatchInFlightIsTakenOverAndItsBatchDeliveredAgain() throws Exception {
        List<Process> processes = new ArrayList<>();
        try (RedisProcess redis = RedisProcess.start(); WebhookReceiver receiver = WebhookReceiver.start("/hook")) {
            receiver.delay(3_000); // the first batch is still in flight when its worker dies
            String node = yaml(dir.resolve("node"), redis.url(), receiver.url(), "webhook_workers: 0");
            List<Path> configs = new ArrayList<>();
            for (String w : List.of("w1", "w2")) {
                Path c = dir.resolve(w + ".yaml");
                Files.writeString(c, yaml(dir.resolve(w), redis.url(), receiver.url(), "pending_timeout: 2",
                        "webhook_batch_max: 10"));
                configs.add(c);
            }
            try (TestServer server = TestServer.start(node)) {
                for (int i = 0; i < 2; i++) {
                    processes.add(HookCli.process(dir.resolve("w" + i + ".out"), dir.resolve("w" + i + ".err"),
                            "hooks", "--config", configs.get(i).toString()));
                }
                churn(server, "f-", 0, 20);
                // the worker that claimed the destination posts its first batch; find it by the claim
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.requests().isEmpty()
                        || HookCli.hooks(configs.get(0), "status").json().path("queues").path(TARGET)
                        .path("pending").asLong() > 0);
                JsonNode q = HookCli.hooks(configs.get(0), "status").json().path("queues").path(TARGET);
                assertThat(q.path("pending").asLong()).as("a batch read and not acknowledged: %s", q).isPositive();
                String owner = q.path("delivered_by").asText();
                long pid = Long.parseLong(owner.split(":")[1]);
                Process dying = processes.stream().filter(p -> p.pid() == pid).findFirst().orElseThrow(() ->
                        new AssertionError("no worker process has pid " + pid + " (" + owner + ")"));
                Process survivor = processes.stream().filter(p -> p != dying).findFirst().orElseThrow();
                dying.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                receiver.delay(0);

                awaitDistinct(receiver, 40, 30);
                assertThat(report("hook worker killed with a batch in flight", receiver, 40)).isZero();
                assertOrderPerChannel(receiver);
                Path survivorLog = dir.resolve("w" + processes.indexOf(survivor) + ".out");
                assertThat(Files.readString(survivorLog)).as("the survivor took the destination over")
                        .contains("took over " + TARGET);
                assertThat(survivor.isAlive()).isTrue();
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                        HookCli.hooks(configs.get(0), "status").queued(TARGET) == 0);
            }
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void deadLettersLiveInRedisAndTheToolsReplayThem() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); WebhookReceiver receiver = WebhookReceiver.start("/hook")) {
            receiver.answer(n -> 500);
            Path config = dir.resolve("hooks.yaml");
            Files.writeString(config, yaml(dir.resolve("data"), redis.url(), receiver.url(),
                    "webhook_retry_period: 1"));
            try (TestServer server = TestServer.start(Files.readString(config))) {
                churn(server, "d-", 0, 3);
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                        .until(() -> HookCli.hooks(config, "status").deadLetters() == 6);
                HookCli.Run dead = HookCli.hooks(config, "dead-letters");
                assertThat(dead.exitCode()).isZero();
                JsonNode letters = dead.json().get("dead_letters");
                assertThat(letters).hasSize(6);
                assertThat(letters.get(0).get("target").asText()).isEqualTo(TARGET);
                assertThat(letters.get(0).get("last_error").asText()).contains("500");

                receiver.answer(n -> 200);
                String one = letters.get(0).get("id").asText();
                assertThat(HookCli.hooks(config, "replay", "--id", one).json().get("replayed").asInt()).isEqualTo(1);
                awaitDistinct(receiver, 1, 10);
                assertThat(HookCli.hooks(config, "replay", "--all").json().get("replayed").asInt()).isEqualTo(5);
                awaitDistinct(receiver, 6, 10);
                assertThat(report("dead letters replayed from Redis", receiver, 6)).isZero();
                assertThat(HookCli.hooks(config, "status").deadLetters()).isZero();

                churn(server, "x-", 0, 1);
                awaitDistinct(receiver, 8, 10);
                receiver.answer(n -> 500);
                churn(server, "y-", 0, 2);
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                        HookCli.hooks(config, "status").queued(TARGET) > 0);
                assertThat(HookCli.hooks(config, "reset").json().get("removed").asInt()).isPositive();
                assertThat(HookCli.hooks(config, "status").queued(TARGET)).isZero();
            }
        }
    }
}
