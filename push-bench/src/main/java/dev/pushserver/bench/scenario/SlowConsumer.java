package dev.pushserver.bench.scenario;

import dev.pushserver.bench.core.HttpPublisher;
import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Pool;
import dev.pushserver.bench.core.ProcStats;
import dev.pushserver.bench.core.Result;
import dev.pushserver.bench.core.WsConn;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "slow-consumer", mixinStandardHelpOptions = true,
        description = "Fan-out at a fixed rate while a share of the subscribers stops reading (setAutoRead(false)) "
                + "after the warm-up: server RSS over time, the healthy subscribers' latency and loss, and what "
                + "happened to the slow ones (closed by the server? with which code? did they get everything "
                + "once they read again?).")
public final class SlowConsumer extends ScenarioBase {

    @Option(names = "--subscribers", description = "subscribers on the channel (default ${DEFAULT-VALUE})")
    public int subscribers = 1000;

    @Option(names = "--rate", description = "offered triggers per second (default ${DEFAULT-VALUE})")
    public double rate = 100;

    @Option(names = "--slow-percent", description = "percent of subscribers that stop reading "
            + "(default ${DEFAULT-VALUE})")
    public double slowPercent = 1;

    @Option(names = "--http-conns", description = "keep-alive HTTP connections (default ${DEFAULT-VALUE})")
    public int httpConns = 4;

    @Option(names = "--sample-every", description = "seconds between server RSS samples (default ${DEFAULT-VALUE})")
    public double sampleEvery = 1;

    @Option(names = "--recover", description = "seconds the slow clients read again at the end "
            + "(default ${DEFAULT-VALUE})")
    public double recover = 5;

    @Option(names = "--channel", description = "channel name (default ${DEFAULT-VALUE})")
    public String channel = "bench-slow";

    @Override
    protected String name() {
        return "slow-consumer";
    }

    @Override
    protected void run() throws Exception {
        Phase phase = new Phase();
        try (Net net = newNet();
                Pool pool = new Pool(target, net, phase, httpConns);
                HttpPublisher pub = new HttpPublisher(target, httpConns, 1)) {
            Pool.OpenResult open = pool.open(subscribers, concurrency, i -> new Pool.Sub[] {Pool.Sub.of(channel, 0)},
                    connectTimeoutMillis());
            requireAll(open, "slow-consumer");
            int slowEvery = slowPercent <= 0 ? Integer.MAX_VALUE : (int) Math.max(1, Math.round(100 / slowPercent));
            List<WsConn> slow = new ArrayList<>();
            for (WsConn c : pool.conns()) {
                if (c.id % slowEvery == slowEvery - 1) {
                    slow.add(c);
                }
            }
            Triggers triggers = new Triggers(target.appId, new String[] {channel}, httpConns, payload, 0, phase,
                    s -> 0);
            pub.factory(triggers);
            // flagged from the start (their numbers are kept apart), but they stop reading only after the warm-up
            java.util.Set<WsConn> slowSet = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            slowSet.addAll(slow);
            pool.onLoops(s -> s.conns.forEach(c -> c.slow = slowSet.contains(c)));
            pool.resetPoint();
            triggers.reset();
            long start = System.nanoTime() + 100_000_000L;
            long windowStart = start + nanos(warmup);
            long end = windowStart + nanos(duration);
            phase.set(0, windowStart, end);
            Result r = target.result(name());
            r.put("subscribers", subscribers).put("slow_clients", slow.size()).put("offered_rate", rate)
                    .put("payload", payload).put("epoll", net.epoll());
            Meter meter = new Meter();
            long drainMs = (long) (drainMax * 1000);
            CompletableFuture<HttpPublisher.PointStats> f = pub.run(rate, start, windowStart, end, drainMs);
            List<Double> rss = new ArrayList<>();
            List<Double> rssAt = new ArrayList<>();
            boolean slowed = false;
            long nextSample = start;
            while (!f.isDone()) {
                long now = System.nanoTime();
                if (!slowed && now >= windowStart) {
                    for (WsConn c : slow) {
                        c.channel().eventLoop().execute(() -> c.setReading(false));
                    }
                    slowed = true;
                }
                if (now >= nextSample) {
                    sampleRss(rss, rssAt, start);
                    nextSample += nanos(sampleEvery);
                }
                Thread.sleep(10);
            }
            HttpPublisher.PointStats hs = f.get();
            long healthy = subscribers - slow.size();
            long waited = pool.drain(pub.okTotal() * healthy, 1000, drainMs);
            sampleRss(rss, rssAt, start);
            // what the server did to the slow ones while they were not reading
            int openBefore = 0;
            for (WsConn c : slow) {
                if (c.isOpen()) {
                    openBefore++;
                }
            }
            // let them read again and see what comes: everything buffered, or a close frame
            for (WsConn c : slow) {
                c.channel().eventLoop().execute(() -> c.setReading(true));
            }
            long recoverEnd = System.nanoTime() + nanos(recover);
            long slowExpected = pub.okTotal() * slow.size();
            while (System.nanoTime() < recoverEnd) {
                Thread.sleep((long) (sampleEvery * 1000));
                sampleRss(rss, rssAt, start);
                Pool.Summary s = pool.summarize((c, stream, chan) -> pub.ok(stream, chan));
                if (s.slowUnique >= slowExpected) {
                    break;
                }
            }
            Pool.Summary sum = pool.summarize((c, stream, chan) -> pub.ok(stream, chan));
            meter.stop(r);
            putHttp(r, hs);
            putDelivery(r, sum, hs.windowSeconds());
            r.put("drain_ms", waited);
            TreeMap<String, Integer> closes = new TreeMap<>();
            int closedAfter = 0;
            for (WsConn c : slow) {
                if (!c.isOpen()) {
                    closedAfter++;
                    closes.merge(c.closeCode < 0 ? "no close frame" : Integer.toString(c.closeCode), 1, Integer::sum);
                }
            }
            r.put("slow_open_before_reading_again", openBefore);
            r.put("slow_closed", closedAfter);
            r.put("slow_close_codes", closes.toString());
            r.put("slow_expected", sum.slowExpected).put("slow_delivered", sum.slowUnique);
            r.latency("slow_latency", sum.slowLatency);
            r.put("server_rss_series_mb", rss).put("server_rss_series_s", rssAt);
            if (!rss.isEmpty()) {
                r.put("server_rss_peak_mb", rss.stream().mapToDouble(Double::doubleValue).max().orElse(-1));
            }
            putOpen(r, "setup_", open);
            target.emit(r);
        }
    }

    private void sampleRss(List<Double> rss, List<Double> at, long start) {
        ProcStats.Sample s = ProcStats.sample(target.serverPids);
        if (s.rssBytes() >= 0) {
            rss.add(Result.round(s.rssBytes() / 1048576.0));
            at.add(Result.round((System.nanoTime() - start) / 1e9));
        }
    }
}
