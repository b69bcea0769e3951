package dev.pushserver.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.bench.Target;
import dev.pushserver.bench.core.ControlApi;
import dev.pushserver.bench.core.LoopStats;
import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Pool;
import dev.pushserver.bench.core.Result;
import dev.pushserver.bench.core.WsConn;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import org.HdrHistogram.Histogram;

@Command(name = "presence-churn", mixinStandardHelpOptions = true,
        description = "Members joining and leaving presence channels at a fixed rate while observers watch: "
                + "member_added / member_removed must all arrive; at the end the member lists are checked "
                + "through GET /apps/{id}/channels/{name}/users.")
public final class PresenceChurn extends ScenarioBase {

    @Option(names = "--channels", description = "presence channels (default ${DEFAULT-VALUE})")
    public int channels = 10;

    @Option(names = "--observers", description = "observers per channel that stay joined "
            + "(default ${DEFAULT-VALUE})")
    public int observers = 2;

    @Option(names = "--churners", description = "members per channel that join and leave; observers + churners "
            + "must fit the server's presence member limit (default ${DEFAULT-VALUE})")
    public int churners = 20;

    @Option(names = "--actions-per-second", description = "joins + leaves per second over all channels "
            + "(default ${DEFAULT-VALUE})")
    public double rate = 100;

    private static final int OUT = 0;
    private static final int JOINING = 1;
    private static final int IN = 2;

    @Override
    protected String name() {
        return "presence-churn";
    }

    private static final class Churner {
        final int channel;
        final int index;
        final Pool.Sub sub;
        int state = OUT;
        long joins;
        long leaves;
        long skipped;

        Churner(int channel, int index, Pool.Sub sub) {
            this.channel = channel;
            this.index = index;
            this.sub = sub;
        }
    }

    private static final class Observer {
        final int channel;
        final BitSet present = new BitSet();
        long added;
        long removed;
        long anomalies;

        Observer(int channel) {
            this.channel = channel;
        }
    }

    private final class ChurnPool extends Pool {
        final AtomicLongArray actionTime;

        ChurnPool(Target t, Net n, Phase p, int total) {
            super(t, n, p, 1);
            actionTime = new AtomicLongArray(total);
        }

        @Override
        public void onSubscribed(WsConn c, String channel, JsonNode data, long now) {
            super.onSubscribed(c, channel, data, now);
            if (c.attachment instanceof Churner ch && ch.state == JOINING) {
                ch.state = IN;
            }
        }

        @Override
        public void onEvent(WsConn c, String event, String channel, JsonNode msg, long now) {
            super.onEvent(c, event, channel, msg, now);
            if (!(c.attachment instanceof Observer o)) {
                return;
            }
            boolean added = event.equals("pusher_internal:member_added");
            if (!added && !event.equals("pusher_internal:member_removed")) {
                return;
            }
            String user = WsConn.dataOf(msg).path("user_id").asText("");
            if (!user.startsWith("u-")) {
                return;
            }
            int global = Integer.parseInt(user.substring(2));
            int local = global % churners;
            if (global / churners != o.channel) {
                o.anomalies++;
                return;
            }
            if (added) {
                o.added++;
                if (o.present.get(local)) {
                    o.anomalies++;
                }
                o.present.set(local);
            } else {
                o.removed++;
                if (!o.present.get(local)) {
                    o.anomalies++;
                }
                o.present.clear(local);
            }
            long t = actionTime.get(global);
            if (phase.inWindow(t)) {
                LoopStats.record(c.stats().latency, now - t);
            }
        }
    }

    private static String channelName(int k) {
        return "presence-churn-" + k;
    }

    @Override
    protected void run() throws Exception {
        int totalChurners = channels * churners;
        Phase phase = new Phase();
        try (Net net = newNet(); ChurnPool pool = new ChurnPool(target, net, phase, totalChurners)) {
            Pool.OpenResult obs = pool.open(channels * observers, concurrency, i -> new Pool.Sub[] {
                new Pool.Sub(channelName(i / observers), i / observers,
                        "{\"user_id\":\"obs-" + i + "\"}")}, connectTimeoutMillis());
            requireAll(obs, "presence-churn observers");
            Pool.OpenResult ch = pool.open(totalChurners, concurrency, i -> new Pool.Sub[0], connectTimeoutMillis());
            requireAll(ch, "presence-churn churners");
            int firstChurner = channels * observers;
            List<WsConn> all = pool.conns();
            WsConn[] churnConns = new WsConn[totalChurners];
            for (WsConn c : all) {
                if (c.id >= firstChurner) {
                    churnConns[c.id - firstChurner] = c;
                }
            }
            pool.onLoops(s -> {
                for (WsConn c : s.conns) {
                    if (c.id < firstChurner) {
                        c.attachment = new Observer(c.id / observers);
                    } else {
                        int g = c.id - firstChurner;
                        int k = g / churners;
                        c.attachment = new Churner(k, g, new Pool.Sub(channelName(k), k,
                                "{\"user_id\":\"u-" + g + "\"}"));
                    }
                }
            });
            pool.resetPoint();
            long start = System.nanoTime() + 50_000_000L;
            long windowStart = start + nanos(warmup);
            long end = windowStart + nanos(duration);
            phase.set(0, windowStart, end);
            Meter meter = new Meter();
            Result r = target.result(name());
            r.put("channels", channels).put("observers_per_channel", observers).put("churners_per_channel", churners)
                    .put("offered_actions_per_s", rate).put("epoll", net.epoll());
            // open-loop action schedule from this thread: action a toggles churner a % total
            long scheduled = 0;
            long total = (long) ((end - start) / 1e9 * rate);
            while (scheduled < total) {
                long now = System.nanoTime();
                long due = Math.min(total, (long) ((now - start) / 1e9 * rate));
                while (scheduled < due) {
                    WsConn c = churnConns[(int) (scheduled % totalChurners)];
                    c.channel().eventLoop().execute(() -> toggle(pool, c));
                    scheduled++;
                }
                Thread.sleep(1);
            }
            long[] t = new long[6]; // joins, leaves, skipped, added, removed, anomalies
            pool.onLoops(s -> {
                long[] local = new long[6];
                for (WsConn c : s.conns) {
                    if (c.attachment instanceof Churner x) {
                        local[0] += x.joins;
                        local[1] += x.leaves;
                        local[2] += x.skipped;
                    }
                }
                synchronized (t) {
                    for (int i = 0; i < 3; i++) {
                        t[i] += local[i];
                    }
                }
            });
            long expectedAdded = t[0] * observers;
            long expectedRemoved = t[1] * observers;
            // drain: wait until the observers have seen every member event, or nothing moves for 1 s
            long drainStart = System.nanoTime();
            long last = -1;
            long lastChange = drainStart;
            while (true) {
                long[] seen = observerTotals(pool);
                long got = seen[0] + seen[1];
                long now = System.nanoTime();
                if (got >= expectedAdded + expectedRemoved) {
                    break;
                }
                if (got != last) {
                    last = got;
                    lastChange = now;
                } else if (now - lastChange > 1_000_000_000L || now - drainStart > nanos(drainMax)) {
                    break;
                }
                Thread.sleep(20);
            }
            long[] seen = observerTotals(pool);
            Histogram lat = new Histogram(LoopStats.MAX_MICROS, 3);
            pool.onLoops(s -> {
                synchronized (lat) {
                    lat.add(s.latency);
                }
            });
            // final member lists: observers + churners that are in, through the HTTP API and the observers' views
            List<Set<String>> expectedMembers = new ArrayList<>();
            for (int k = 0; k < channels; k++) {
                Set<String> e = new HashSet<>();
                for (int j = 0; j < observers; j++) {
                    e.add("obs-" + (k * observers + j));
                }
                expectedMembers.add(e);
            }
            long[] viewMismatch = {0};
            pool.onLoops(s -> {
                for (WsConn c : s.conns) {
                    if (c.attachment instanceof Churner x && x.state != OUT) {
                        synchronized (expectedMembers) {
                            expectedMembers.get(x.channel).add("u-" + x.index);
                        }
                    }
                }
            });
            pool.onLoops(s -> {
                for (WsConn c : s.conns) {
                    if (c.attachment instanceof Observer o) {
                        Set<String> view = new HashSet<>();
                        o.present.stream().forEach(b -> view.add("u-" + (o.channel * churners + b)));
                        Set<String> want = new HashSet<>();
                        synchronized (expectedMembers) {
                            for (String id : expectedMembers.get(o.channel)) {
                                if (id.startsWith("u-")) {
                                    want.add(id);
                                }
                            }
                        }
                        if (!view.equals(want)) {
                            synchronized (viewMismatch) {
                                viewMismatch[0]++;
                            }
                        }
                    }
                }
            });
            ControlApi api = new ControlApi(target);
            int apiMismatch = 0;
            List<String> mismatchSample = new ArrayList<>();
            for (int k = 0; k < channels; k++) {
                Set<String> got;
                try {
                    got = new HashSet<>(api.users(channelName(k)));
                } catch (Exception e) {
                    apiMismatch++;
                    if (mismatchSample.size() < 3) {
                        mismatchSample.add(channelName(k) + ": " + e.getMessage());
                    }
                    continue;
                }
                if (!got.equals(expectedMembers.get(k))) {
                    apiMismatch++;
                    if (mismatchSample.size() < 3) {
                        mismatchSample.add(channelName(k) + ": api " + got.size() + " users, expected "
                                + expectedMembers.get(k).size());
                    }
                }
            }
            meter.stop(r);
            double secs = (end - start) / 1e9;
            r.put("joins", t[0]).put("leaves", t[1]).put("skipped_actions", t[2]);
            r.put("actions_per_s", (t[0] + t[1]) / secs);
            r.put("member_added_expected", expectedAdded).put("member_added_delivered", seen[0]);
            r.put("member_removed_expected", expectedRemoved).put("member_removed_delivered", seen[1]);
            r.put("member_events_ratio", expectedAdded + expectedRemoved == 0 ? 1.0
                    : (double) (seen[0] + seen[1]) / (expectedAdded + expectedRemoved));
            r.put("anomalies", seen[2]);
            r.latency("latency", lat);
            r.put("observer_view_mismatches", viewMismatch[0]);
            r.put("api_channels_checked", channels).put("api_mismatches", apiMismatch);
            if (!mismatchSample.isEmpty()) {
                r.put("api_mismatch_sample", mismatchSample);
            }
            putOpen(r, "setup_", ch);
            target.emit(r);
        }
    }

    private long[] observerTotals(Pool pool) {
        long[] out = new long[3];
        pool.onLoops(s -> {
            long a = 0;
            long b = 0;
            long c2 = 0;
            for (WsConn c : s.conns) {
                if (c.attachment instanceof Observer o) {
                    a += o.added;
                    b += o.removed;
                    c2 += o.anomalies;
                }
            }
            synchronized (out) {
                out[0] += a;
                out[1] += b;
                out[2] += c2;
            }
        });
        return out;
    }

    private static void toggle(ChurnPool pool, WsConn c) {
        Churner x = (Churner) c.attachment;
        long now = System.nanoTime();
        switch (x.state) {
            case OUT -> {
                pool.actionTime.set(x.index, now);
                x.state = JOINING;
                x.joins++;
                pool.subscribe(c, x.sub);
            }
            case IN -> {
                pool.actionTime.set(x.index, now);
                x.state = OUT;
                x.leaves++;
                c.unsubscribe(x.sub.name());
            }
            default -> x.skipped++;
        }
    }
}
