package dev.pushserver.bench.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.bench.Target;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * A set of subscriber connections: opens them with bounded concurrency, subscribes each to its planned channels
 * (signing private and presence channels itself), records handshake times (connect to the last
 * subscription_succeeded) and tracks every benchmark message per subscriber. Scenarios extend it to react to
 * other events.
 */
public class Pool implements WsConn.Listener, AutoCloseable {

    /** One planned subscription: the channel name, its benchmark id, and presence channel_data when needed. */
    public record Sub(String name, int id, String channelData) {
        public static Sub of(String name, int id) {
            return new Sub(name, id, null);
        }
    }

    protected final Target target;
    protected final Net net;
    protected final Phase phase;
    protected final int streams;
    /** where subscriber i connects: endpoints[i % n], with the upgrade request naming that host */
    private final Target.Endpoint[] endpoints;
    private final byte[][] upgrades;
    private final ThreadLocal<Signer> signers;
    private final List<WsConn> conns = Collections.synchronizedList(new ArrayList<>());
    private final Histogram handshakes = new Histogram(LoopStats.MAX_MICROS, 3);
    private Sub[][] plans = new Sub[0][];
    private Semaphore inFlight;
    private final AtomicInteger ready = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    public Pool(Target target, Net net, Phase phase, int streams) {
        this.target = target;
        this.net = net;
        this.phase = phase;
        this.streams = streams;
        this.endpoints = target.wsEndpoints().toArray(new Target.Endpoint[0]);
        this.upgrades = new byte[endpoints.length][];
        for (int i = 0; i < endpoints.length; i++) {
            upgrades[i] = WsConn.upgradeRequest(endpoints[i].host(), endpoints[i].port(), target.wsPathAndQuery());
        }
        this.signers = ThreadLocal.withInitial(() -> new Signer(target.appId, target.key, target.secret));
    }

    public Net net() {
        return net;
    }

    public List<WsConn> conns() {
        synchronized (conns) {
            return new ArrayList<>(conns);
        }
    }

    public Signer signer() {
        return signers.get();
    }

    /** What {@link #open} observed. */
    public record OpenResult(int requested, int ready, int failed, double seconds, Histogram handshakes,
            List<String> sampleFailures) {
        public double perSecond() {
            return seconds > 0 ? ready / seconds : 0;
        }
    }

    /**
     * Opens {@code count} more connections, at most {@code concurrency} handshakes at a time, each subscribing to
     * {@code plan.apply(index)}, and waits until all are ready or failed, or the timeout passes.
     */
    public OpenResult open(int count, int concurrency, IntFunction<Sub[]> plan, long timeoutMillis)
            throws InterruptedException {
        int base;
        synchronized (this) {
            base = plans.length;
            Sub[][] grown = java.util.Arrays.copyOf(plans, base + count);
            for (int i = 0; i < count; i++) {
                grown[base + i] = plan.apply(base + i);
            }
            plans = grown;
        }
        synchronized (handshakes) {
            handshakes.reset();
        }
        ready.set(0);
        failed.set(0);
        inFlight = new Semaphore(Math.max(1, concurrency));
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        int launched = 0;
        for (int i = 0; i < count; i++) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !inFlight.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                break;
            }
            launch(base + i);
            launched++;
        }
        while (ready.get() + failed.get() < launched && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        Histogram copy;
        synchronized (handshakes) {
            copy = handshakes.copy();
        }
        int notDone = count - ready.get() - failed.get();
        List<String> sample;
        synchronized (failures) {
            sample = new ArrayList<>(failures.subList(0, Math.min(5, failures.size())));
        }
        return new OpenResult(count, ready.get(), failed.get() + Math.max(0, notDone), secs, copy, sample);
    }

    private void launch(int id) {
        int e = id % endpoints.length;
        WsConn c = new WsConn(id, this, upgrades[e]);
        conns.add(c);
        c.startNanos = System.nanoTime();
        Sub[] subs = plans[id];
        int[] ids = new int[subs.length];
        for (int k = 0; k < subs.length; k++) {
            ids[k] = subs[k].id();
        }
        c.initTracking(ids, streams);
        ChannelFuture f = net.connect(endpoints[e].host(), endpoints[e].port(), new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                c.attach(net.statsOf(ch.eventLoop()));
                ch.pipeline().addLast(c);
            }
        });
        f.addListener(done -> {
            if (!done.isSuccess()) {
                fail(c, "connect: " + done.cause());
            }
        });
    }

    private void fail(WsConn c, String why) {
        if (!c.settled) {
            c.settled = true;
            failed.incrementAndGet();
            if (failures.size() < 20) {
                failures.add(why);
            }
            inFlight.release();
        }
    }

    protected Sub[] planOf(WsConn c) {
        return plans[c.id];
    }

    @Override
    public void onEstablished(WsConn c) {
        Sub[] subs = plans[c.id];
        c.pendingSubscriptions = subs.length;
        if (subs.length == 0) {
            ready(c, System.nanoTime());
            return;
        }
        for (Sub s : subs) {
            subscribe(c, s);
        }
    }

    /** Sends pusher:subscribe for {@code s}, signing it when it is a private or presence channel. */
    public void subscribe(WsConn c, Sub s) {
        String auth = null;
        if (s.name().startsWith("private-") || s.name().startsWith("presence-")) {
            auth = signers.get().channelAuth(c.socketId, s.name(), s.channelData());
        }
        c.subscribe(s.name(), auth, s.channelData());
    }

    @Override
    public void onSubscribed(WsConn c, String channel, JsonNode data, long now) {
        if (c.readyNanos == 0 && --c.pendingSubscriptions == 0) {
            ready(c, now);
        }
    }

    private void ready(WsConn c, long now) {
        if (c.settled) {
            return;
        }
        c.settled = true;
        c.readyNanos = now;
        synchronized (handshakes) {
            LoopStats.record(handshakes, now - c.startNanos);
        }
        ready.incrementAndGet();
        inFlight.release();
    }

    @Override
    public void onData(WsConn c, long[] f, long now) {
        LoopStats s = c.stats();
        if (f[0] != phase.point()) {
            s.stragglers++;
            return;
        }
        int t0 = c.track((int) f[1], (int) f[2], f[3]);
        if (t0 == WsConn.FOREIGN) {
            s.foreign++;
            return;
        }
        s.delivered++;
        if (t0 == WsConn.NEW && !c.slow) {
            s.unique++;
        }
        long t = f[4];
        if (t >= phase.windowStart() && t < phase.windowEnd()) {
            LoopStats.record(c.slow ? s.slowLatency : s.latency, now - t);
            s.deliveredSentInWindow++;
        }
        if (now >= phase.windowStart() && now < phase.windowEnd()) {
            s.arrivedInWindow++;
        }
    }

    @Override
    public void onEvent(WsConn c, String event, String channel, JsonNode msg, long now) {
        if (c.readyNanos == 0 && event.equals("pusher:error") && channel != null) {
            fail(c, "subscription to " + channel + " refused: " + WsConn.dataOf(msg));
        }
    }

    @Override
    public void onClosed(WsConn c) {
        fail(c, c.failure != null ? c.failure : "closed before ready (code " + c.closeCode + " "
                + c.closeReason + ")");
    }

    // ---- per-loop work -----------------------------------------------------------------------------------------

    /** Runs {@code fn} on every client loop with that loop's stats and waits for all. */
    public void onLoops(Consumer<LoopStats> fn) {
        List<EventLoop> loops = net.loops();
        List<io.netty.util.concurrent.Future<?>> futures = new ArrayList<>();
        for (EventLoop loop : loops) {
            LoopStats s = net.statsOf(loop);
            futures.add(loop.submit(() -> fn.accept(s)));
        }
        for (io.netty.util.concurrent.Future<?> f : futures) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("client loop task failed", e);
            }
        }
    }

    /** Clears counters, histograms and sequence tracking before a new point. */
    public void resetPoint() {
        onLoops(s -> {
            s.resetPoint();
            for (WsConn c : s.conns) {
                c.resetTracking();
            }
        });
    }

    /** How many messages a subscriber should have received from {@code stream} on channel {@code chan}. */
    public interface Expectation {
        long expected(WsConn subscriber, int stream, int chan);
    }

    /** Totals over all subscribers of one point. */
    public static final class Summary {
        public long expected;
        public long unique;
        public long duplicates;
        public long reordered;
        public long gaps;
        public long lost;
        public long unexpected;
        public int subscribersWithLoss;
        public int open;
        public int closed;
        public long delivered;
        public long deliveredSentInWindow;
        public long arrivedInWindow;
        public long stragglers;
        public long foreign;
        public long control;
        public long errors;
        public long slowExpected;
        public long slowUnique;
        public final Histogram latency = new Histogram(LoopStats.MAX_MICROS, 3);
        public final Histogram slowLatency = new Histogram(LoopStats.MAX_MICROS, 3);

        public long received() {
            return unique + duplicates;
        }
    }

    /** Adds up every loop's counters and every subscriber's loss against {@code exp}; slow clients apart. */
    public Summary summarize(Expectation exp) {
        Summary sum = new Summary();
        onLoops(s -> {
            synchronized (sum) {
                sum.latency.add(s.latency);
                sum.slowLatency.add(s.slowLatency);
                sum.delivered += s.delivered;
                sum.deliveredSentInWindow += s.deliveredSentInWindow;
                sum.arrivedInWindow += s.arrivedInWindow;
                sum.stragglers += s.stragglers;
                sum.foreign += s.foreign;
                sum.control += s.control;
                for (WsConn c : s.conns) {
                    if (c.readyNanos == 0) {
                        continue;
                    }
                    if (c.isOpen()) {
                        sum.open++;
                    } else {
                        sum.closed++;
                    }
                    sum.errors += c.errors;
                    int[] chans = c.channelIds();
                    long connLost = 0;
                    for (int slot = 0; slot < chans.length; slot++) {
                        for (int st = 0; st < c.streams(); st++) {
                            long e = exp.expected(c, st, chans[slot]);
                            long u = c.unique(slot, st);
                            if (c.slow) {
                                sum.slowExpected += e;
                                sum.slowUnique += u;
                                continue;
                            }
                            sum.expected += e;
                            sum.unique += u;
                            if (u < e) {
                                connLost += e - u;
                            } else if (u > e) {
                                sum.unexpected += u - e;
                            }
                        }
                    }
                    if (!c.slow) {
                        sum.duplicates += c.duplicates;
                        sum.reordered += c.reordered;
                        sum.gaps += c.gaps;
                        sum.lost += connLost;
                        if (connLost > 0) {
                            sum.subscribersWithLoss++;
                        }
                    }
                }
            }
        });
        return sum;
    }

    /** Unique messages received so far by healthy subscribers (cheap progress check while draining). */
    public long uniqueSoFar() {
        long[] total = {0};
        onLoops(s -> {
            synchronized (total) {
                total[0] += s.unique;
            }
        });
        return total[0];
    }

    /**
     * Waits until the healthy subscribers have {@code expected} unique messages, or nothing arrived for
     * {@code quietMillis}, or {@code maxMillis} passed. Returns the milliseconds waited.
     */
    public long drain(long expected, long quietMillis, long maxMillis) throws InterruptedException {
        long start = System.nanoTime();
        long last = -1;
        long lastChange = start;
        while (true) {
            long u = uniqueSoFar();
            long now = System.nanoTime();
            if (u >= expected) {
                break;
            }
            if (u != last) {
                last = u;
                lastChange = now;
            } else if (now - lastChange > quietMillis * 1_000_000L) {
                break;
            }
            if (now - start > maxMillis * 1_000_000L) {
                break;
            }
            Thread.sleep(50);
        }
        return (System.nanoTime() - start) / 1_000_000L;
    }

    @Override
    public void close() {
        for (WsConn c : conns()) {
            c.close();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (WsConn c : conns()) {
            while (c.isOpen() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
