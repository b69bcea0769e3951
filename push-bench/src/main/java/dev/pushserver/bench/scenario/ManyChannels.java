package dev.pushserver.bench.scenario;

import dev.pushserver.bench.core.HttpPublisher;
import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Pool;
import dev.pushserver.bench.core.Result;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "many-channels", mixinStandardHelpOptions = true,
        description = "N connections, each on a personal channel plus a group channel shared by --group-size "
                + "connections; triggers go to random channels, one per POST /events or --batch per "
                + "POST /batch_events. One JSON line per rate (rates count events, not requests).")
public final class ManyChannels extends ScenarioBase {

    @Option(names = "--connections", description = "connections (default ${DEFAULT-VALUE})")
    public int connections = 10000;

    @Option(names = "--group-size", description = "connections per group channel (default ${DEFAULT-VALUE})")
    public int groupSize = 10;

    @Option(names = "--group-share", description = "share of events sent to group channels, 0..1 "
            + "(default ${DEFAULT-VALUE})")
    public double groupShare = 0.5;

    @Option(names = "--rates", description = "offered events per second, comma-separated "
            + "(default ${DEFAULT-VALUE})")
    public String rates = "1000,5000";

    @Option(names = "--batch", description = "events per request: 0 = POST /events, n = POST /batch_events "
            + "with n events (default ${DEFAULT-VALUE})")
    public String batches = "0,10";

    @Option(names = "--http-conns", description = "keep-alive HTTP connections (default ${DEFAULT-VALUE})")
    public int httpConns = 8;

    @Override
    protected String name() {
        return "many-channels";
    }

    @Override
    protected void run() throws Exception {
        int groups = (connections + groupSize - 1) / groupSize;
        int channels = connections + groups;
        String[] names = new String[channels];
        int[] subscribersOf = new int[channels];
        for (int i = 0; i < connections; i++) {
            names[i] = "mc-p-" + i;
            subscribersOf[i] = 1;
            subscribersOf[connections + i / groupSize]++;
        }
        for (int g = 0; g < groups; g++) {
            names[connections + g] = "mc-g-" + g;
        }
        Phase phase = new Phase();
        try (Net net = newNet();
                Pool pool = new Pool(target, net, phase, httpConns);
                HttpPublisher pub = new HttpPublisher(target, httpConns, channels)) {
            Pool.OpenResult open = pool.open(connections, concurrency, i -> new Pool.Sub[] {
                Pool.Sub.of(names[i], i), Pool.Sub.of(names[connections + i / groupSize], connections + i / groupSize)},
                    connectTimeoutMillis());
            requireAll(open, "many-channels");
            SplittableRandom rnd = new SplittableRandom(42);
            int point = 0;
            for (int batch : parseInts(batches)) {
                Triggers triggers = new Triggers(target.appId, names, httpConns, payload, batch, phase, s ->
                        rnd.nextDouble() < groupShare ? connections + rnd.nextInt(groups) : rnd.nextInt(connections));
                pub.factory(triggers);
                for (double events : parseRates(rates)) {
                    double requests = batch > 0 ? events / batch : events;
                    Result r = target.result(name());
                    r.put("connections", connections).put("channels", channels).put("group_size", groupSize)
                            .put("batch", batch).put("offered_events_per_s", events).put("http_conns", httpConns)
                            .put("payload", payload).put("epoll", net.epoll());
                    triggerPoint(r, pool, pub, triggers, phase, point++, requests,
                            (c, stream, chan) -> pub.ok(stream, chan), () -> {
                                long t = 0;
                                for (int s = 0; s < httpConns; s++) {
                                    for (int c = 0; c < channels; c++) {
                                        t += pub.ok(s, c) * subscribersOf[c];
                                    }
                                }
                                return t;
                            });
                    putOpen(r, "setup_", open);
                    target.emit(r);
                }
            }
        }
    }
}
