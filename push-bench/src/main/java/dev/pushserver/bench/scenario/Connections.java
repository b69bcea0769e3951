package dev.pushserver.bench.scenario;

import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Pool;
import dev.pushserver.bench.core.ProcStats;
import dev.pushserver.bench.core.Result;
import dev.pushserver.bench.core.WsConn;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "connections", mixinStandardHelpOptions = true,
        description = "Ramps to N connections (in steps), each subscribed to a channel: handshakes/s, handshake "
                + "time (connect to subscription_succeeded), server RSS and heap after GC per connection.")
public final class Connections extends ScenarioBase {

    @Option(names = "--connections", description = "connection counts to ramp to, comma-separated steps; one "
            + "line per step (default ${DEFAULT-VALUE}; one process holds at most ~19.9k)")
    public String steps = "1000";

    @Option(names = "--channel-mode", description = "own: every connection on its own channel; shared: all on "
            + "one channel (default ${DEFAULT-VALUE})")
    public String channelMode = "own";

    @Option(names = "--hold", description = "seconds to hold the connections after each step before "
            + "checking they are all still open (default ${DEFAULT-VALUE})")
    public double hold = 2;

    @Override
    protected String name() {
        return "connections";
    }

    @Override
    protected void run() throws Exception {
        boolean heap = target.measureHeap();
        // GC first: the RSS baseline is taken after it, like every later reading
        long heapBase = heap ? ProcStats.heapUsedAfterGc(target.serverPids) : -1;
        ProcStats.Sample base = ProcStats.sample(target.serverPids);
        try (Net net = newNet(); Pool pool = new Pool(target, net, new Phase(), 1)) {
            int have = 0;
            for (int step : parseInts(steps)) {
                int more = step - have;
                if (more <= 0) {
                    continue;
                }
                Result r = target.result(name());
                r.put("target_connections", step).put("channel_mode", channelMode).put("epoll", net.epoll());
                Meter meter = new Meter();
                Pool.OpenResult o = pool.open(more, concurrency,
                        i -> new Pool.Sub[] {Pool.Sub.of(channelMode.equals("shared") ? "conn-shared" : "conn-" + i,
                                0)}, connectTimeoutMillis());
                double serverMicros = meter.stop(r);
                if (o.ready() > 0) {
                    r.put("server_cpu_us_per_handshake", serverMicros >= 0 ? serverMicros / o.ready() : -1);
                    r.put("gen_cpu_us_per_handshake", meter.genMicros() / o.ready());
                }
                have += o.ready();
                putOpen(r, "step_", o);
                Thread.sleep((long) (hold * 1000));
                List<WsConn> all = pool.conns();
                long open = all.stream().filter(c -> c.readyNanos != 0 && c.isOpen()).count();
                r.put("connections", have).put("open_after_hold", open);
                long used = heap ? ProcStats.heapUsedAfterGc(target.serverPids) : -1;
                ProcStats.Sample now = ProcStats.sample(target.serverPids);
                if (now.rssBytes() > 0) {
                    r.put("server_rss_base_mb", base.rssBytes() / 1048576.0);
                    r.put("server_rss_mb", now.rssBytes() / 1048576.0);
                    r.put("server_rss_per_conn_kb", have > 0 ? (now.rssBytes() - base.rssBytes()) / 1024.0 / have
                            : 0);
                }
                if (heap) {
                    r.put("server_heap_base_mb", heapBase / 1048576.0);
                    r.put("server_heap_after_gc_mb", used / 1048576.0);
                    r.put("server_heap_per_conn_kb", have > 0 && used > 0 && heapBase > 0
                            ? (used - heapBase) / 1024.0 / have : -1);
                }
                target.emit(r);
                if (o.ready() < o.requested()) {
                    break;
                }
            }
        }
    }
}
