package dev.pushserver.bench.core;

import dev.pushserver.bench.Target;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Open-loop HTTP API load: signed POSTs over a few keep-alive connections ("streams"), one request in flight per
 * connection so each stream's events keep their order. Sends are scheduled at a fixed offered rate; a send that
 * finds every connection busy waits in a bounded queue and its latency still counts from the scheduled time, so a
 * slow server cannot hide its slowness by slowing the generator (no coordinated omission). Rate 0 means closed
 * loop: every connection sends again as soon as it has its answer. Everything runs on one event loop.
 */
public final class HttpPublisher implements AutoCloseable {

    /** One request: path (as signed), JSON body, and the benchmark channel id of each event it carries. */
    public record Req(String path, byte[] body, int[] chans) {
    }

    /** Builds the next request for a stream; called on the publisher's loop, so it may keep plain counters. */
    public interface Factory {
        Req build(int stream, long intendedNanos);
    }

    /** What one point did. */
    public record PointStats(double offeredRate, long scheduled, long sent, long ok, long errors, long skipped,
            long okInWindow, long eventsOk, long eventsOkInWindow, double windowSeconds, int maxQueued,
            Histogram latency, Histogram service, TreeMap<Integer, Long> statuses, String sampleError,
            long reconnects) {
    }

    private final Target target;
    private final Net net;
    private final EventLoop loop;
    private final Signer signer;
    private final List<HttpConn> conns = new ArrayList<>();
    private final ArrayDeque<HttpConn> idle = new ArrayDeque<>();
    private final int channels;
    private Factory factory;
    private final Target.Endpoint endpoint;
    private final String hostHeader;

    /** ok[stream][chan]: events answered 200, i.e. what each subscriber of chan should get from the stream */
    private long[][] ok;

    // point state, loop-confined
    private double rate;
    private boolean closedLoop;
    private long start;
    private long windowStart;
    private long end;
    private long hardStop;
    private long total;
    private long scheduled;
    private int maxPending;
    private long[] queue = new long[1024];
    private int qHead;
    private int qSize;
    private int maxQueued;
    private long sent;
    private long okCount;
    private long errors;
    private long skipped;
    private long okInWindow;
    private long eventsOk;
    private long eventsOkInWindow;
    private int inflight;
    private long reconnects;
    private String sampleError;
    private final TreeMap<Integer, Long> statuses = new TreeMap<>();
    private final Histogram latency = new Histogram(LoopStats.MAX_MICROS, 3);
    private final Histogram service = new Histogram(LoopStats.MAX_MICROS, 3);
    private CompletableFuture<PointStats> done;
    private ScheduledFuture<?> tick;
    private boolean closing;

    public HttpPublisher(Target target, int connections, int channels) throws InterruptedException {
        this.target = target;
        this.net = target.newNet(1);
        this.loop = net.loops().get(0);
        this.signer = new Signer(target.appId, target.key, target.secret);
        this.channels = channels;
        this.ok = new long[connections][channels];
        this.endpoint = target.publishEndpoint();
        this.hostHeader = endpoint.toString();
        List<ChannelFuture> futures = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            HttpConn c = new HttpConn(i);
            conns.add(c);
            futures.add(connect(c));
        }
        for (ChannelFuture f : futures) {
            if (!f.await(10, TimeUnit.SECONDS) || !f.isSuccess()) {
                throw new IllegalStateException("cannot open HTTP connection to " + hostHeader + ": " + f.cause());
            }
        }
        runOnLoop(() -> idle.addAll(conns));
    }

    public EventLoop loop() {
        return loop;
    }

    public int streams() {
        return conns.size();
    }

    public void factory(Factory f) {
        this.factory = f;
    }

    public Signer signer() {
        return signer;
    }

    /** Events answered 200 from {@code stream} on {@code chan} during the last point (read after it finished). */
    public long ok(int stream, int chan) {
        return ok[stream][chan];
    }

    public long okTotal() {
        long t = 0;
        for (long[] row : ok) {
            for (long v : row) {
                t += v;
            }
        }
        return t;
    }

    private ChannelFuture connect(HttpConn c) {
        return net.connect(endpoint.host(), endpoint.port(), new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                c.channel = ch;
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), c);
            }
        });
    }

    private void runOnLoop(Runnable r) throws InterruptedException {
        try {
            loop.submit(r).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs one point: sends from {@code startNanos} until {@code endNanos} at {@code ratePerSecond} (0 = closed
     * loop), counting latency only for sends scheduled at or after {@code windowStartNanos}. Completes when every
     * request is answered, or {@code maxDrainMillis} after the end.
     */
    public CompletableFuture<PointStats> run(double ratePerSecond, long startNanos, long windowStartNanos,
            long endNanos, long maxDrainMillis) {
        CompletableFuture<PointStats> f = new CompletableFuture<>();
        loop.execute(() -> {
            for (long[] row : ok) {
                java.util.Arrays.fill(row, 0);
            }
            rate = ratePerSecond;
            closedLoop = ratePerSecond <= 0;
            start = startNanos;
            windowStart = windowStartNanos;
            end = endNanos;
            hardStop = endNanos + maxDrainMillis * 1_000_000L;
            total = closedLoop ? Long.MAX_VALUE : (long) Math.floor((end - start) / 1e9 * rate);
            maxPending = closedLoop ? 0 : (int) Math.max(1000, Math.min(rate * 2, 1_000_000));
            scheduled = sent = okCount = errors = skipped = okInWindow = eventsOk = eventsOkInWindow = 0;
            qHead = qSize = maxQueued = 0;
            reconnects = 0;
            sampleError = null;
            statuses.clear();
            latency.reset();
            service.reset();
            done = f;
            tick = loop.scheduleAtFixedRate(this::tick, Math.max(0, start - System.nanoTime()), 1_000_000L,
                    TimeUnit.NANOSECONDS);
        });
        return f;
    }

    private void tick() {
        long now = System.nanoTime();
        if (now < start || done == null) {
            return;
        }
        if (closedLoop) {
            if (now < end) {
                while (!idle.isEmpty()) {
                    HttpConn c = idle.poll();
                    if (!send(c, System.nanoTime())) {
                        break;
                    }
                }
            }
        } else {
            // send k is due at start + k / rate: k = 0 goes at start, not one interval later (that lag used to
            // count as latency: 40 ms at 25 triggers/s)
            long due = Math.min(total, (long) Math.floor((Math.min(now, end) - start) / 1e9 * rate) + 1);
            while (scheduled < due) {
                long intended = start + (long) (scheduled * 1e9 / rate);
                scheduled++;
                dispatch(intended);
            }
        }
        if (now >= hardStop) {
            skipped += qSize;
            qSize = 0;
            finish();
        } else if (now >= end && qSize == 0 && inflight == 0) {
            finish();
        }
    }

    private void dispatch(long intended) {
        HttpConn c = idle.poll();
        if (c != null) {
            if (send(c, intended)) {
                return;
            }
        }
        if (qSize >= maxPending) {
            skipped++;
            return;
        }
        if (qSize == queue.length) {
            long[] grown = new long[queue.length * 2];
            for (int i = 0; i < qSize; i++) {
                grown[i] = queue[(qHead + i) % queue.length];
            }
            queue = grown;
            qHead = 0;
        }
        queue[(qHead + qSize) % queue.length] = intended;
        qSize++;
        maxQueued = Math.max(maxQueued, qSize);
    }

    private boolean send(HttpConn c, long intended) {
        if (c.channel == null || !c.channel.isActive()) {
            return false;
        }
        Req r = factory.build(c.stream, intended);
        String uri = signer.signedUri("POST", r.path(), r.body(), null);
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri,
                Unpooled.wrappedBuffer(r.body()));
        req.headers().set(HttpHeaderNames.HOST, hostHeader)
                .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        c.busy = true;
        c.intended = intended;
        c.sentAt = System.nanoTime();
        c.chans = r.chans();
        inflight++;
        sent++;
        c.channel.writeAndFlush(req, c.channel.voidPromise());
        return true;
    }

    private void onAnswer(HttpConn c, int status, String body) {
        long now = System.nanoTime();
        c.busy = false;
        inflight--;
        statuses.merge(status, 1L, Long::sum);
        boolean inWindow = c.intended >= windowStart && c.intended < end;
        if (status == 200) {
            okCount++;
            eventsOk += c.chans.length;
            for (int ch : c.chans) {
                if (ch >= 0 && ch < channels) {
                    ok[c.stream][ch]++;
                }
            }
            if (inWindow) {
                okInWindow++;
                eventsOkInWindow += c.chans.length;
            }
        } else {
            errors++;
            if (sampleError == null) {
                sampleError = status + " " + (body.length() > 200 ? body.substring(0, 200) : body);
            }
        }
        if (inWindow) {
            LoopStats.record(latency, now - c.intended);
            LoopStats.record(service, now - c.sentAt);
        }
        if (!c.serverCloses) {
            next(c, now);
        }
    }

    private void next(HttpConn c, long now) {
        if (done == null) {
            idle.add(c);
            return;
        }
        if (qSize > 0) {
            long intended = queue[qHead];
            qHead = (qHead + 1) % queue.length;
            qSize--;
            if (send(c, intended)) {
                return;
            }
            errors++;
        } else if (closedLoop && now < end) {
            if (send(c, now)) {
                return;
            }
        }
        if (c.channel != null && c.channel.isActive()) {
            idle.add(c);
        }
    }

    private void finish() {
        if (done == null) {
            return;
        }
        if (tick != null) {
            tick.cancel(false);
        }
        CompletableFuture<PointStats> f = done;
        done = null;
        double window = (end - windowStart) / 1e9;
        f.complete(new PointStats(rate, closedLoop ? sent : total, sent, okCount, errors, skipped, okInWindow,
                eventsOk, eventsOkInWindow, window, maxQueued, latency.copy(), service.copy(),
                new TreeMap<>(statuses), sampleError, reconnects));
    }

    /** One keep-alive connection (one stream); re-added to the pipeline of each new channel after a close. */
    @io.netty.channel.ChannelHandler.Sharable
    private final class HttpConn extends SimpleChannelInboundHandler<FullHttpResponse> {
        final int stream;
        Channel channel;
        boolean busy;
        /** the server answered "Connection: close" (soketi does on every API response) */
        boolean serverCloses;
        long intended;
        long sentAt;
        int[] chans;

        HttpConn(int stream) {
            this.stream = stream;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
            if (!busy) {
                return;
            }
            int status = msg.status().code();
            String body = status == 200 ? "" : msg.content().toString(java.nio.charset.StandardCharsets.UTF_8);
            if (!io.netty.handler.codec.http.HttpUtil.isKeepAlive(msg)) {
                serverCloses = true;
            }
            onAnswer(this, status, body);
            if (serverCloses) {
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            idle.remove(this);
            if (busy) {
                busy = false;
                inflight--;
                errors++;
                if (sampleError == null) {
                    sampleError = "connection closed by the server";
                }
            }
            if (!closing) {
                // reconnect at once after an announced close, after a pause after an unexpected one
                boolean planned = serverCloses;
                serverCloses = false;
                if (planned) {
                    reconnects++;
                }
                reconnect(planned ? 0 : 100);
            }
            super.channelInactive(ctx);
        }

        private void reconnect(long delayMillis) {
            loop.schedule(() -> {
                if (closing) {
                    return;
                }
                connect(this).addListener(f -> {
                    if (f.isSuccess()) {
                        loop.execute(() -> next(this, System.nanoTime()));
                    } else {
                        reconnect(100);
                    }
                });
            }, delayMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        closing = true;
        for (HttpConn c : conns) {
            if (c.channel != null) {
                c.channel.close();
            }
        }
        net.close();
    }
}
