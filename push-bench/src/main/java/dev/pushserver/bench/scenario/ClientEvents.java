package dev.pushserver.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.bench.Target;
import dev.pushserver.bench.core.LoopStats;
import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.Payload;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Pool;
import dev.pushserver.bench.core.Result;
import dev.pushserver.bench.core.WsConn;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "client-events", mixinStandardHelpOptions = true,
        description = "Private channels of 2 and 10 members exchanging client events (the generator signs the "
                + "private-channel auth itself); ingress events/s, deliveries and end-to-end latency. One JSON "
                + "line per group size.")
public final class ClientEvents extends ScenarioBase {

    @Option(names = "--group-sizes", description = "members per private channel, comma-separated "
            + "(default ${DEFAULT-VALUE})")
    public String groupSizes = "2,10";

    @Option(names = "--groups", description = "channels per group size (default ${DEFAULT-VALUE})")
    public int groups = 50;

    @Option(names = "--rate-per-client", description = "client events per second each member sends; servers "
            + "limit this (push-server and Pusher: 10/s unless raised) (default ${DEFAULT-VALUE})")
    public double ratePerClient = 5;

    @Override
    protected String name() {
        return "client-events";
    }

    /** Sender state of one member, confined to its connection's loop. */
    private static final class Member {
        final int group;
        final int index;
        final String prefix;
        long seq;
        long next;
        long sent;
        long sentInWindow;
        long rejected;

        Member(int group, int index, String channel) {
            this.group = group;
            this.index = index;
            StringBuilder sb = new StringBuilder("{\"event\":\"client-b\",\"channel\":");
            WsConn.quote(sb, channel);
            sb.append(",\"data\":\"");
            this.prefix = sb.toString();
        }
    }

    private static final class MemberPool extends Pool {
        MemberPool(Target t, Net n, Phase p, int streams) {
            super(t, n, p, streams);
        }

        @Override
        public void onEvent(WsConn c, String event, String channel, JsonNode msg, long now) {
            super.onEvent(c, event, channel, msg, now);
            if (event.equals("pusher:error") && c.attachment instanceof Member m) {
                m.rejected++;
            }
        }
    }

    @Override
    protected void run() throws Exception {
        int point = 0;
        for (int size : parseInts(groupSizes)) {
            Phase phase = new Phase();
            try (Net net = newNet(); MemberPool pool = new MemberPool(target, net, phase, size)) {
                Pool.OpenResult open = pool.open(groups * size, concurrency,
                        i -> new Pool.Sub[] {Pool.Sub.of(channelName(size, i / size), i / size)},
                        connectTimeoutMillis());
                requireAll(open, "client-events");
                pool.onLoops(s -> {
                    for (WsConn c : s.conns) {
                        c.attachment = new Member(c.id / size, c.id % size, channelName(size, c.id / size));
                    }
                });
                pool.resetPoint();
                int pt = point++;
                long start = System.nanoTime() + 100_000_000L;
                long windowStart = start + nanos(warmup);
                long end = windowStart + nanos(duration);
                phase.set(pt, windowStart, end);
                long period = (long) (1e9 / ratePerClient);
                Result r = target.result(name());
                r.put("group_size", size).put("groups", groups).put("rate_per_client", ratePerClient)
                        .put("payload", payload).put("epoll", net.epoll());
                Meter meter = new Meter();
                List<ScheduledFuture<?>> ticks = new ArrayList<>();
                pool.onLoops(s -> {
                    // spread the members' first sends over one period
                    for (WsConn c : s.conns) {
                        Member m = (Member) c.attachment;
                        m.next = start + (long) ((double) period * (c.id % 997) / 997);
                    }
                });
                for (EventLoop loop : net.loops()) {
                    LoopStats s = net.statsOf(loop);
                    ticks.add(loop.scheduleAtFixedRate(() -> sendDue(s, pt, period, windowStart, end), 0, 1,
                            TimeUnit.MILLISECONDS));
                }
                Thread.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000L) + 5);
                ticks.forEach(t -> t.cancel(false));
                long[][] sent = new long[groups][size];
                long[] totals = new long[3]; // sent, sentInWindow, rejected
                pool.onLoops(s -> {
                    for (WsConn c : s.conns) {
                        Member m = (Member) c.attachment;
                        synchronized (totals) {
                            sent[m.group][m.index] = m.sent;
                            totals[0] += m.sent;
                            totals[1] += m.sentInWindow;
                            totals[2] += m.rejected;
                        }
                    }
                });
                long expectedTotal = totals[0] * (size - 1);
                long waited = pool.drain(expectedTotal, 1000, (long) (drainMax * 1000));
                Pool.Summary sum = pool.summarize((c, stream, chan) ->
                        stream == ((Member) c.attachment).index ? 0 : sent[chan][stream]);
                meter.stop(r);
                r.put("sent", totals[0]).put("rejected", totals[2]);
                r.put("ingress_events_per_s", totals[1] / (duration));
                putDelivery(r, sum, duration);
                r.put("drain_ms", waited);
                putOpen(r, "setup_", open);
                target.emit(r);
            }
        }
    }

    private void sendDue(LoopStats s, int point, long period, long windowStart, long end) {
        long now = System.nanoTime();
        if (now >= end) {
            return;
        }
        for (WsConn c : s.conns) {
            Member m = (Member) c.attachment;
            if (m == null || m.next > now || !c.isOpen()) {
                continue;
            }
            boolean wrote = false;
            while (m.next <= now && m.next < end) {
                String data = Payload.data(point, m.group, m.index, m.seq++, now, payload);
                c.write(m.prefix + data + "\"}");
                m.sent++;
                if (now >= windowStart) {
                    m.sentInWindow++;
                }
                m.next += period;
                wrote = true;
            }
            if (wrote) {
                c.flush();
            }
        }
    }

    static String channelName(int size, int group) {
        return "private-ce-" + size + "-" + group;
    }
}
