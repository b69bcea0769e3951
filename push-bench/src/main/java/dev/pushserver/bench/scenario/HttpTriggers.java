package dev.pushserver.bench.scenario;

import dev.pushserver.bench.core.HttpPublisher;
import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Pool;
import dev.pushserver.bench.core.Result;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "http-triggers", mixinStandardHelpOptions = true,
        description = "HTTP API throughput: triggers/s to a channel with 0 and 1 subscriber (and batch_events "
                + "events/s), with the HTTP request latency. Rate 0 = closed loop (as fast as the server answers "
                + "on --http-conns connections).")
public final class HttpTriggers extends ScenarioBase {

    @Option(names = "--subscribers", description = "subscriber counts, comma-separated (default ${DEFAULT-VALUE})")
    public String subscribers = "0,1";

    @Option(names = "--rates", description = "offered requests per second, 0 = closed loop "
            + "(default ${DEFAULT-VALUE})")
    public String rates = "0";

    @Option(names = "--batch", description = "events per request: 0 = POST /events, n = POST /batch_events "
            + "(default ${DEFAULT-VALUE})")
    public String batches = "0,10";

    @Option(names = "--http-conns", description = "keep-alive HTTP connections (default ${DEFAULT-VALUE})")
    public int httpConns = 8;

    @Option(names = "--channel", description = "channel name (default ${DEFAULT-VALUE})")
    public String channel = "bench-http";

    @Override
    protected String name() {
        return "http-triggers";
    }

    @Override
    protected void run() throws Exception {
        Phase phase = new Phase();
        try (Net net = newNet();
                Pool pool = new Pool(target, net, phase, httpConns);
                HttpPublisher pub = new HttpPublisher(target, httpConns, 1)) {
            int have = 0;
            int point = 0;
            for (int subs : parseInts(subscribers)) {
                if (subs > have) {
                    Pool.OpenResult open = pool.open(subs - have, concurrency,
                            i -> new Pool.Sub[] {Pool.Sub.of(channel, 0)}, connectTimeoutMillis());
                    requireAll(open, "http-triggers");
                    have = subs;
                }
                int n = have;
                for (int batch : parseInts(batches)) {
                    Triggers triggers = new Triggers(target.appId, new String[] {channel}, httpConns, payload, batch,
                            phase, s -> 0);
                    pub.factory(triggers);
                    for (double rate : parseRates(rates)) {
                        Result r = target.result(name());
                        r.put("subscribers", n).put("batch", batch).put("http_conns", httpConns)
                                .put("payload", payload).put("epoll", net.epoll());
                        triggerPoint(r, pool, pub, triggers, phase, point++, rate,
                                (c, stream, chan) -> pub.ok(stream, chan), () -> pub.okTotal() * n);
                        target.emit(r);
                    }
                }
            }
        }
    }
}
