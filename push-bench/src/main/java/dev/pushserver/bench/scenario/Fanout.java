package dev.pushserver.bench.scenario;

import dev.pushserver.bench.core.HttpPublisher;
import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Pool;
import dev.pushserver.bench.core.Result;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "fanout", mixinStandardHelpOptions = true,
        description = "One channel with N subscribers, HTTP-triggered at a sweep of offered rates; one JSON line "
                + "per rate and a summary line with the knee (highest rate with 100%% delivered and p99 within "
                + "--p99-limit). Across a cluster: --ports spreads the subscribers over several nodes, "
                + "--publish-port sends the triggers to another one, --server-pid takes every node's PID.")
public final class Fanout extends ScenarioBase {

    @Option(names = "--subscribers", description = "subscribers on the channel (default ${DEFAULT-VALUE})")
    public int subscribers = 1000;

    @Option(names = "--rates", description = "offered trigger rates per second, comma-separated "
            + "(default ${DEFAULT-VALUE})")
    public String rates = "10,50,100,200";

    @Option(names = "--http-conns", description = "keep-alive HTTP connections sending triggers "
            + "(default ${DEFAULT-VALUE})")
    public int httpConns = 8;

    @Option(names = "--channel", description = "channel name (default ${DEFAULT-VALUE})")
    public String channel = "bench-fanout";

    @Option(names = "--p99-limit", description = "p99 in ms a rate must stay within to count for the knee "
            + "(default ${DEFAULT-VALUE})")
    public double p99Limit = 50;

    @Option(names = "--stop-after-failures", description = "stop the sweep after this many consecutive points "
            + "that miss the knee criteria (default ${DEFAULT-VALUE})")
    public int stopAfterFailures = 2;

    @Override
    protected String name() {
        return "fanout";
    }

    @Override
    protected void run() throws Exception {
        Phase phase = new Phase();
        try (Net net = newNet();
                Pool pool = new Pool(target, net, phase, httpConns);
                HttpPublisher pub = new HttpPublisher(target, httpConns, 1)) {
            Pool.OpenResult open = pool.open(subscribers, concurrency, i -> new Pool.Sub[] {Pool.Sub.of(channel, 0)},
                    connectTimeoutMillis());
            requireAll(open, "fanout");
            Triggers triggers = new Triggers(target.appId, new String[] {channel}, httpConns, payload, 0, phase,
                    s -> 0);
            pub.factory(triggers);
            List<Double> sweep = parseRates(rates);
            double knee = 0;
            double kneeP99 = -1;
            int failuresInRow = 0;
            int point = 0;
            for (double rate : sweep) {
                Result r = target.result(name());
                r.put("subscribers", subscribers).put("http_conns", httpConns).put("payload", payload)
                        .put("epoll", net.epoll()).put("offered_deliveries_per_s", rate * subscribers);
                PointOutcome o = triggerPoint(r, pool, pub, triggers, phase, point++, rate,
                        (c, stream, chan) -> pub.ok(stream, chan), () -> pub.okTotal() * subscribers);
                boolean complete = o.summary().lost == 0 && o.http().errors() == 0 && o.http().skipped() == 0
                        && o.summary().expected > 0;
                double p99 = o.summary().latency.getTotalCount() == 0 ? Double.MAX_VALUE
                        : o.summary().latency.getValueAtPercentile(99) / 1000.0;
                boolean good = complete && p99 <= p99Limit;
                r.put("all_delivered", complete).put("within_p99_limit", good);
                target.emit(r);
                if (good && rate > knee) {
                    knee = rate;
                    kneeP99 = p99;
                    failuresInRow = 0;
                } else if (!good) {
                    failuresInRow++;
                    if (failuresInRow >= stopAfterFailures) {
                        break;
                    }
                }
            }
            Result summary = target.result(name()).put("summary", true).put("subscribers", subscribers)
                    .put("rates", rates).put("knee_rate", knee).put("knee_deliveries_per_s", knee * subscribers)
                    .put("knee_p99_ms", kneeP99).put("p99_limit_ms", p99Limit);
            putOpen(summary, "", open);
            target.emit(summary);
        }
    }
}
