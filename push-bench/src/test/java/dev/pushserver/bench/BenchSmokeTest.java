package dev.pushserver.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.PushServer;
import dev.pushserver.bench.ceiling.Ceiling;
import dev.pushserver.bench.core.Result;
import dev.pushserver.bench.scenario.ClientEvents;
import dev.pushserver.bench.scenario.Connections;
import dev.pushserver.bench.scenario.Fanout;
import dev.pushserver.bench.scenario.HttpTriggers;
import dev.pushserver.bench.scenario.ManyChannels;
import dev.pushserver.bench.scenario.PresenceChurn;
import dev.pushserver.bench.scenario.ScenarioBase;
import dev.pushserver.bench.scenario.SlowConsumer;
import dev.pushserver.bench.scenario.Webhooks;
import dev.pushserver.config.ConfigLoader;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every scenario at a tiny size for about a second against push-server started in this JVM (and fan-out
 * against the ceiling), checking that each produces its JSON line with sane fields and, except slow-consumer's slow
 * clients, no loss. No timing assertions: this machine's speed is not under test here.
 */
@Timeout(60)
class BenchSmokeTest {

    private static PushServer server;
    /** where the webhooks scenario's receiver listens; the server's second app posts its server events there */
    private static int webhookPort;
    @TempDir
    static Path dataDir;
    private final List<Result> results = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startServer() throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            webhookPort = free.getLocalPort();
        }
        // the generator opens many connections per second from a few loopback addresses
        String yaml = "host: 127.0.0.1\nport: 0\nshutdown_grace_period: 1\nmax_connections_per_ip: 0\n"
                + "max_new_connections_per_ip_per_second: 0\napps:\n  - id: app-id\n    key: app-key\n"
                + "    secret: app-secret\n    enable_client_messages: true\n    max_messages_per_second: 1000000\n"
                + "    max_subscriptions_per_second: 1000000\n"
                // a second app with a webhook, so no other scenario's triggers queue webhooks nobody receives
                + "  - id: hook-app\n    key: hook-key\n    secret: hook-secret\n    webhooks:\n"
                + "      - url: http://127.0.0.1:" + webhookPort + "/webhook\n        event_types: [server_event]\n"
                + "data_dir: " + dataDir.resolve("data") + "\nwebhook_batch_max: 50\n";
        server = PushServer.start(ConfigLoader.fromYaml(yaml, Map.of()));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.stop();
        }
    }

    @BeforeEach
    void captureResults() {
        Result.sink(results::add);
    }

    @AfterEach
    void releaseSink() {
        Result.sink(null);
    }

    private <T extends ScenarioBase> T tiny(T s, int port) {
        s.target.port = port;
        s.target.serverPids = new long[] {ProcessHandle.current().pid()};
        s.target.label = "smoke";
        s.target.heap = "off";
        s.target.sources = "127.0.0.1-127.0.0.4";
        s.target.clientLoops = 2;
        s.warmup = 0.3;
        s.duration = 0.7;
        s.drainMax = 3;
        s.connectTimeout = 20;
        return s;
    }

    private List<Result> lines(String scenario) {
        List<Result> out = new ArrayList<>();
        synchronized (results) {
            for (Result r : results) {
                if (scenario.equals(r.get("scenario"))) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    private static long num(Result r, String key) {
        Object v = r.get(key);
        assertThat(v).as(key + " in " + r.toJson()).isInstanceOf(Number.class);
        return ((Number) v).longValue();
    }

    private static double dbl(Result r, String key) {
        Object v = r.get(key);
        assertThat(v).as(key + " in " + r.toJson()).isInstanceOf(Number.class);
        return ((Number) v).doubleValue();
    }

    /** Everything sent arrived exactly once, in order, and the latency fields are there. */
    private static void assertComplete(Result r) {
        assertThat(num(r, "expected")).as(r.toJson()).isPositive();
        assertThat(num(r, "lost")).as(r.toJson()).isZero();
        assertThat(num(r, "duplicates")).as(r.toJson()).isZero();
        assertThat(num(r, "reordered")).as(r.toJson()).isZero();
        assertThat(dbl(r, "delivered_ratio")).as(r.toJson()).isEqualTo(1.0);
        assertThat(num(r, "latency_count")).as(r.toJson()).isPositive();
        assertThat(dbl(r, "latency_p99_ms")).as(r.toJson()).isGreaterThanOrEqualTo(dbl(r, "latency_p50_ms"));
        assertThat(dbl(r, "gen_cpu_pct")).as(r.toJson()).isGreaterThanOrEqualTo(0);
        assertThat(r.toJson()).startsWith("{\"scenario\":");
    }

    @Test
    void connections() throws Exception {
        Connections c = tiny(new Connections(), server.port());
        c.steps = "20,50";
        c.hold = 0.2;
        c.call();
        List<Result> out = lines("connections");
        assertThat(out).hasSize(2);
        Result last = out.get(1);
        assertThat(num(last, "connections")).isEqualTo(50);
        assertThat(num(last, "open_after_hold")).isEqualTo(50);
        assertThat(num(last, "step_connect_failed")).isZero();
        assertThat(dbl(last, "step_handshakes_per_s")).isPositive();
        assertThat(dbl(last, "server_rss_mb")).isPositive();
    }

    @Test
    void fanout() throws Exception {
        Fanout f = tiny(new Fanout(), server.port());
        f.subscribers = 50;
        f.rates = "20,40";
        f.httpConns = 2;
        f.call();
        List<Result> out = lines("fanout");
        assertThat(out).hasSize(3);
        assertComplete(out.get(0));
        assertComplete(out.get(1));
        assertThat(num(out.get(0), "http_errors")).isZero();
        assertThat(dbl(out.get(0), "server_cpu_us_per_delivery")).isGreaterThanOrEqualTo(0);
        assertThat(out.get(2).get("summary")).isEqualTo(true);
        assertThat(out.get(2).fields()).containsKey("knee_rate");
    }

    /**
     * The cluster options on one node: subscribers round-robin over two spellings of its address, triggers to an
     * explicit publish port, CPU summed over two pids (the same one twice).
     */
    @Test
    void fanoutOverSeveralEndpoints() throws Exception {
        Fanout f = tiny(new Fanout(), 1); // --port is not used when --ports is given
        f.target.ports = server.port() + ",127.0.0.1:" + server.port();
        f.target.publishPort = server.port();
        long pid = ProcessHandle.current().pid();
        f.target.serverPids = new long[] {pid, pid};
        f.subscribers = 20;
        f.rates = "20";
        f.httpConns = 1;
        f.call();
        List<Result> out = lines("fanout");
        assertThat(out).hasSize(2);
        assertComplete(out.get(0));
        assertThat(out.get(0).get("ws_endpoints"))
                .isEqualTo("[127.0.0.1:" + server.port() + ", 127.0.0.1:" + server.port() + "]");
        assertThat(out.get(0).get("publish_endpoint")).isEqualTo("127.0.0.1:" + server.port());
        assertThat(num(out.get(0), "server_processes")).isEqualTo(2);
        assertThat(dbl(out.get(0), "server_cpu_us_per_delivery")).isGreaterThanOrEqualTo(0);
    }

    @Test
    void targetEndpoints() {
        Target t = new Target();
        assertThat(t.wsEndpoints()).containsExactly(new Target.Endpoint("127.0.0.1", 6001));
        assertThat(t.publishEndpoint()).isEqualTo(new Target.Endpoint("127.0.0.1", 6001));
        t.apiPort = 6002;
        assertThat(t.publishEndpoint()).isEqualTo(new Target.Endpoint("127.0.0.1", 6002));
        t.ports = "17601, 10.0.0.2:17602,";
        t.publishHost = "10.0.0.3";
        t.publishPort = 17603;
        assertThat(t.wsEndpoints()).containsExactly(new Target.Endpoint("127.0.0.1", 17601),
                new Target.Endpoint("10.0.0.2", 17602));
        assertThat(t.publishEndpoint()).isEqualTo(new Target.Endpoint("10.0.0.3", 17603));
        Fanout f = picocli.CommandLine.populateCommand(new Fanout(), "--server-pid", "12,34");
        assertThat(f.target.serverPids).containsExactly(12L, 34L);
    }

    @Test
    void manyChannels() throws Exception {
        ManyChannels m = tiny(new ManyChannels(), server.port());
        m.connections = 40;
        m.groupSize = 10;
        m.rates = "200";
        m.batches = "0,10";
        m.call();
        List<Result> out = lines("many-channels");
        assertThat(out).hasSize(2);
        out.forEach(BenchSmokeTest::assertComplete);
        assertThat(num(out.get(1), "batch")).isEqualTo(10);
    }

    @Test
    void httpTriggers() throws Exception {
        HttpTriggers h = tiny(new HttpTriggers(), server.port());
        h.httpConns = 2;
        h.rates = "100";
        h.call();
        List<Result> out = lines("http-triggers");
        assertThat(out).hasSize(4); // 0 and 1 subscriber, single and batch
        for (Result r : out) {
            assertThat(num(r, "http_ok")).as(r.toJson()).isPositive();
            assertThat(num(r, "http_errors")).as(r.toJson()).isZero();
            assertThat(num(r, "lost")).as(r.toJson()).isZero();
            assertThat(dbl(r, "http_p99_ms")).as(r.toJson()).isPositive();
        }
        assertComplete(out.get(2));
        assertThat(dbl(out.get(3), "events_per_s")).isGreaterThan(dbl(out.get(3), "triggers_per_s"));
    }

    @Test
    void clientEvents() throws Exception {
        ClientEvents c = tiny(new ClientEvents(), server.port());
        c.groups = 3;
        c.ratePerClient = 5;
        c.call();
        List<Result> out = lines("client-events");
        assertThat(out).hasSize(2);
        for (Result r : out) {
            assertComplete(r);
            assertThat(num(r, "rejected")).isZero();
            assertThat(dbl(r, "ingress_events_per_s")).isPositive();
        }
        assertThat(num(out.get(1), "group_size")).isEqualTo(10);
    }

    @Test
    void presenceChurn() throws Exception {
        PresenceChurn p = tiny(new PresenceChurn(), server.port());
        p.channels = 2;
        p.observers = 2;
        p.churners = 5;
        p.rate = 40;
        p.call();
        List<Result> out = lines("presence-churn");
        assertThat(out).hasSize(1);
        Result r = out.get(0);
        assertThat(num(r, "joins")).as(r.toJson()).isPositive();
        assertThat(num(r, "member_added_delivered")).as(r.toJson()).isEqualTo(num(r, "member_added_expected"));
        assertThat(num(r, "member_removed_delivered")).as(r.toJson())
                .isEqualTo(num(r, "member_removed_expected"));
        assertThat(num(r, "anomalies")).as(r.toJson()).isZero();
        assertThat(num(r, "api_mismatches")).as(r.toJson()).isZero();
        assertThat(num(r, "observer_view_mismatches")).as(r.toJson()).isZero();
    }

    @Test
    void slowConsumer() throws Exception {
        SlowConsumer s = tiny(new SlowConsumer(), server.port());
        s.subscribers = 50;
        s.slowPercent = 10;
        s.rate = 50;
        s.duration = 1;
        s.recover = 1;
        s.sampleEvery = 0.5;
        s.call();
        List<Result> out = lines("slow-consumer");
        assertThat(out).hasSize(1);
        Result r = out.get(0);
        assertComplete(r); // the healthy ones
        assertThat(num(r, "slow_clients")).isEqualTo(5);
        assertThat(r.fields()).containsKeys("slow_closed", "slow_close_codes", "server_rss_series_mb");
    }

    @Test
    void webhooks() throws Exception {
        Webhooks w = tiny(new Webhooks(), server.port());
        w.target.appId = "hook-app";
        w.target.key = "hook-key";
        w.target.secret = "hook-secret";
        w.webhookPort = webhookPort;
        w.httpConns = 2;
        w.rates = "200";
        w.batches = "0,10";
        w.call();
        List<Result> out = lines("webhooks");
        assertThat(out).hasSize(2);
        for (Result r : out) {
            assertThat(num(r, "expected")).as(r.toJson()).isPositive();
            assertThat(num(r, "http_errors")).as(r.toJson()).isZero();
            assertThat(num(r, "lost")).as(r.toJson()).isZero();
            assertThat(num(r, "duplicates")).as(r.toJson()).isZero();
            assertThat(num(r, "reordered")).as(r.toJson()).isZero();
            assertThat(num(r, "foreign")).as(r.toJson()).isZero();
            assertThat(num(r, "bad_keys")).as(r.toJson()).isZero();
            assertThat(num(r, "bad_signatures")).as(r.toJson()).isZero();
            assertThat(dbl(r, "delivered_ratio")).as(r.toJson()).isEqualTo(1.0);
            assertThat(num(r, "latency_count")).as(r.toJson()).isPositive();
            assertThat(dbl(r, "latency_p99_ms")).as(r.toJson()).isGreaterThanOrEqualTo(dbl(r, "latency_p50_ms"));
            assertThat(dbl(r, "webhook_events_per_s")).as(r.toJson()).isPositive();
            assertThat(dbl(r, "events_per_request")).as(r.toJson()).isGreaterThanOrEqualTo(1.0);
            assertThat(dbl(r, "server_cpu_us_per_event")).as(r.toJson()).isGreaterThanOrEqualTo(0);
        }
        assertThat(num(out.get(1), "batch")).isEqualTo(10);
    }

    @Test
    void fanoutAgainstCeiling() throws Exception {
        Ceiling ceiling = new Ceiling();
        ceiling.port = 0;
        ceiling.loops = 1;
        ceiling.start();
        try {
            Fanout f = tiny(new Fanout(), ceiling.port());
            f.subscribers = 30;
            f.rates = "30";
            f.httpConns = 1;
            f.target.label = "ceiling";
            f.call();
            List<Result> out = lines("fanout");
            assertThat(out).hasSize(2);
            assertComplete(out.get(0));
            assertThat(Objects.toString(out.get(0).get("server"))).isEqualTo("ceiling");
        } finally {
            ceiling.stop();
        }
    }
}
