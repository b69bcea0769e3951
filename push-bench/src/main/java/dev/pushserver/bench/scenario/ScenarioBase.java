package dev.pushserver.bench.scenario;

import dev.pushserver.bench.Target;
import dev.pushserver.bench.core.HttpPublisher;
import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Pool;
import dev.pushserver.bench.core.ProcStats;
import dev.pushserver.bench.core.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options and measurements every scenario shares. */
public abstract class ScenarioBase implements Callable<Integer> {

    @Mixin
    public Target target = new Target();

    @Option(names = "--warmup", description = "seconds of traffic before the measurement window (default ${DEFAULT-VALUE})")
    public double warmup = 2;

    @Option(names = "--duration", description = "seconds of measured traffic per point (default ${DEFAULT-VALUE})")
    public double duration = 5;

    @Option(names = "--drain-max", description = "seconds to wait for late deliveries after a point "
            + "(default ${DEFAULT-VALUE})")
    public double drainMax = 10;

    @Option(names = "--concurrency", description = "WebSocket handshakes in flight while connecting "
            + "(default ${DEFAULT-VALUE})")
    public int concurrency = 200;

    @Option(names = "--connect-timeout", description = "seconds allowed to open all connections "
            + "(default ${DEFAULT-VALUE})")
    public double connectTimeout = 120;

    @Option(names = "--payload", description = "bytes of event data (default ${DEFAULT-VALUE})")
    public int payload = 64;

    /** Scenario name in the JSON lines. */
    protected abstract String name();

    protected abstract void run() throws Exception;

    @Override
    public Integer call() throws Exception {
        run();
        return 0;
    }

    protected long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    protected long connectTimeoutMillis() {
        return (long) (connectTimeout * 1000);
    }

    protected Net newNet() {
        return target.newNet(target.clientLoops);
    }

    protected static List<Double> parseRates(String spec) {
        List<Double> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            if (!s.isBlank()) {
                out.add(Double.parseDouble(s.trim()));
            }
        }
        return out;
    }

    protected static List<Integer> parseInts(String spec) {
        List<Integer> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            if (!s.isBlank()) {
                out.add(Integer.parseInt(s.trim()));
            }
        }
        return out;
    }

    /** CPU and memory of the server and of the generator over an interval. */
    protected final class Meter {
        private final ProcStats.Sample server0;
        private final ProcStats.Sample self0;
        private double genMicros = -1;

        public Meter() {
            server0 = ProcStats.sample(target.serverPids);
            self0 = ProcStats.self();
        }

        public ProcStats.Sample server0() {
            return server0;
        }

        /** The generator's CPU microseconds over the interval (after {@link #stop}). */
        public double genMicros() {
            return genMicros;
        }

        /** Puts CPU (percent of one core), server RSS, machine load and returns the server CPU microseconds. */
        public double stop(Result r) {
            ProcStats.Sample server1 = ProcStats.sample(target.serverPids);
            ProcStats.Sample self1 = ProcStats.self();
            double serverMicros = server1.cpuMicrosSince(server0);
            genMicros = self1.cpuMicrosSince(self0);
            r.put("server_cpu_pct", server1.cpuPercentSince(server0));
            r.put("server_rss_mb", server1.rssBytes() < 0 ? -1 : server1.rssBytes() / 1048576.0);
            r.put("gen_cpu_pct", self1.cpuPercentSince(self0));
            r.put("machine_busy_pct", self1.machineBusyPercentSince(self0));
            r.put("cores", Runtime.getRuntime().availableProcessors());
            r.put("loadavg", ProcStats.loadAverage());
            return serverMicros;
        }
    }

    /** The counters of a point summary as result fields. */
    protected static void putDelivery(Result r, Pool.Summary s, double windowSeconds) {
        r.put("expected", s.expected);
        r.put("delivered", s.unique);
        r.put("delivered_ratio", s.expected == 0 ? 1.0 : (double) s.unique / s.expected);
        r.put("lost", s.lost);
        r.put("duplicates", s.duplicates);
        r.put("reordered", s.reordered);
        r.put("unexpected", s.unexpected);
        r.put("subscribers_with_loss", s.subscribersWithLoss);
        // what actually arrived during the window (a server that falls behind delivers the rest later)
        r.put("delivered_per_s", windowSeconds > 0 ? s.arrivedInWindow / windowSeconds : 0);
        r.latency("latency", s.latency);
        if (s.stragglers > 0) {
            r.put("stragglers", s.stragglers);
        }
        r.put("subscribers_open", s.open);
        r.put("subscribers_closed", s.closed);
        r.put("pusher_errors", s.errors);
    }

    protected static void putOpen(Result r, String prefix, Pool.OpenResult o) {
        r.put(prefix + "connections", o.ready());
        r.put(prefix + "connect_failed", o.failed());
        r.put(prefix + "handshakes_per_s", o.perSecond());
        r.latency(prefix + "handshake", o.handshakes());
        if (!o.sampleFailures().isEmpty()) {
            r.put(prefix + "connect_errors", o.sampleFailures());
        }
    }

    protected void requireAll(Pool.OpenResult o, String what) {
        if (o.ready() < o.requested()) {
            throw new IllegalStateException(what + ": only " + o.ready() + " of " + o.requested()
                    + " connections ready; first errors: " + o.sampleFailures());
        }
    }

    /** What one HTTP-triggered point produced. */
    protected record PointOutcome(HttpPublisher.PointStats http, Pool.Summary summary, double serverCpuMicros,
            long drainMillis) {
    }

    /**
     * Runs one rate point: resets counters, sends for warm-up + duration at {@code rate}, waits for late
     * deliveries, and fills {@code r} with HTTP, delivery, latency and CPU figures.
     */
    protected PointOutcome triggerPoint(Result r, Pool pool, HttpPublisher pub, Triggers triggers, Phase phase,
            int point, double rate, Pool.Expectation exp, java.util.function.LongSupplier expectedTotal)
            throws Exception {
        pool.resetPoint();
        triggers.reset();
        long start = System.nanoTime() + 100_000_000L;
        long windowStart = start + nanos(warmup);
        long end = windowStart + nanos(duration);
        phase.set(point, windowStart, end);
        Meter meter = new Meter();
        long drainMs = (long) (drainMax * 1000);
        HttpPublisher.PointStats hs = pub.run(rate, start, windowStart, end, drainMs)
                .get((long) (warmup + duration + drainMax + 30), java.util.concurrent.TimeUnit.SECONDS);
        long expected = expectedTotal.getAsLong();
        long waited = pool.drain(expected, 1000, drainMs);
        Pool.Summary sum = pool.summarize(exp);
        double cpu = meter.stop(r);
        putHttp(r, hs);
        putDelivery(r, sum, hs.windowSeconds());
        r.put("server_cpu_us_per_delivery", sum.unique > 0 && cpu >= 0 ? cpu / sum.unique : -1);
        r.put("gen_cpu_us_per_delivery", sum.unique > 0 && meter.genMicros() >= 0 ? meter.genMicros() / sum.unique
                : -1);
        r.put("drain_ms", waited);
        return new PointOutcome(hs, sum, cpu, waited);
    }

    protected static void putHttp(Result r, HttpPublisher.PointStats hs) {
        r.put("offered_rate", hs.offeredRate() <= 0 ? "max" : hs.offeredRate());
        r.put("http_sent", hs.sent());
        r.put("http_ok", hs.ok());
        r.put("http_errors", hs.errors());
        r.put("http_skipped", hs.skipped());
        r.put("triggers_per_s", hs.windowSeconds() > 0 ? hs.okInWindow() / hs.windowSeconds() : 0);
        r.put("events_per_s", hs.windowSeconds() > 0 ? hs.eventsOkInWindow() / hs.windowSeconds() : 0);
        r.latency("http", hs.latency());
        r.put("http_service_p99_ms", hs.service().getTotalCount() == 0 ? 0
                : hs.service().getValueAtPercentile(99) / 1000.0);
        r.put("http_max_queued", hs.maxQueued());
        r.put("http_reconnects", hs.reconnects());
        if (hs.errors() > 0) {
            r.put("http_statuses", hs.statuses().toString());
            r.put("http_sample_error", hs.sampleError());
        }
    }
}
