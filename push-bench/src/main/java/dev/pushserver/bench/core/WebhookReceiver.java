package dev.pushserver.bench.core;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.BitSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.HdrHistogram.Histogram;

/**
 * A webhook receiver for the {@code webhooks} scenario: an HTTP server on one event loop that answers every POST to
 * its path with 200 {@code {}} at once and, on the way, finds each event's {@code "data":"} in the body by a byte
 * scan (no JSON parser: the server writes compact JSON and benchmark data has no quotes), reads the benchmark
 * fields of {@link Payload} from it and counts first copies, duplicates and reordering per sender stream, with the
 * latency from the trigger's scheduled time to the arrival of the request. Optionally checks {@code X-Pusher-Key}
 * and the {@code X-Pusher-Signature} HMAC of the body. Every counter is confined to the receiver's loop.
 *
 * <p>Benchmark data here carries the run's tag in {@link Payload}'s channel field, so events left in the server's
 * durable queue by an earlier run (delivered when it starts again) are counted apart as {@code foreign}.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** The point number of the probe event sent before the first point. */
    public static final int PROBE_POINT = -1;

    private static final byte[] OK_BODY = "{}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "\"data\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "{\"name\":\"".getBytes(StandardCharsets.US_ASCII);
    /** highest sequence number tracked per stream (larger ones are not benchmark data of this run) */
    private static final long MAX_SEQ = 1L << 30;

    /** What the receiver saw during one point (a copy, taken on its loop). */
    public record Stats(long requests, long requestsInWindow, long events, long maxEventsPerRequest, long bytes,
            long unique, long duplicates, long reordered, long arrivedInWindow, long stragglers, long foreign,
            long otherEvents, long badKeys, long badSignatures, long otherRequests, long lastArrivalNanos,
            long busyNanos, Histogram latency, Histogram fromSend, Histogram turnaround) {
    }

    private final String host;
    private final int port;
    private final String path;
    private final String key;
    private final Mac mac;
    private final Phase phase;
    private final int tag;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final Channel listener;

    // loop-confined state of the current point
    private BitSet[] seen;
    private long[] maxSeq;
    private long requests;
    private long requestsInWindow;
    private long events;
    private long maxEventsPerRequest;
    private long bytes;
    private long unique;
    private long duplicates;
    private long reordered;
    private long arrivedInWindow;
    private long stragglers;
    private long foreign;
    private long otherEvents;
    private long badKeys;
    private long badSignatures;
    private long otherRequests;
    private long lastArrival;
    private long busyNanos;
    /** when the last answer was written: the next request's arrival minus this is the server's turnaround */
    private long answeredAt;
    /** scheduled send time to arrival */
    private final Histogram latency = new Histogram(LoopStats.MAX_MICROS, 3);
    /** actual send time (the trigger left the generator) to arrival */
    private final Histogram fromSend = new Histogram(LoopStats.MAX_MICROS, 3);
    /** from an answer of this receiver to the next webhook request */
    private final Histogram turnaround = new Histogram(LoopStats.MAX_MICROS, 3);
    private final long[] fields = new long[5];

    private volatile long probeArrival;
    private volatile long foreignTotal;

    /**
     * Starts listening on {@code host:port}.
     *
     * @param key     the app key expected in {@code X-Pusher-Key}, with {@code secret} checking the signature;
     *                both null: no check
     * @param streams sender streams (HTTP connections) whose sequences are tracked
     * @param tag     this run's tag, in the channel field of every benchmark event's data
     */
    public WebhookReceiver(String host, int port, String path, String key, String secret, Phase phase, int streams,
            int tag, boolean epollAllowed) throws InterruptedException {
        this.host = host;
        this.path = path;
        this.key = key;
        this.phase = phase;
        this.tag = tag;
        this.seen = new BitSet[streams];
        this.maxSeq = new long[streams];
        for (int i = 0; i < streams; i++) {
            seen[i] = new BitSet();
            maxSeq[i] = -1;
        }
        if (secret != null) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            } catch (NoSuchAlgorithmException | InvalidKeyException e) {
                throw new IllegalStateException(e);
            }
        } else {
            mac = null;
        }
        boolean epoll = epollAllowed && Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(1, io);
        this.loop = (EventLoop) group.next();
        Class<? extends ServerChannel> cls = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        try {
            this.listener = new ServerBootstrap().group(group).channel(cls)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 << 20),
                                    new Handler());
                        }
                    })
                    .bind(host, port).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot listen for webhooks on " + host + ":" + port + ": " + e, e);
        }
        this.port = ((java.net.InetSocketAddress) listener.localAddress()).getPort();
    }

    public int port() {
        return port;
    }

    public String url() {
        return "http://" + host + ":" + port + path;
    }

    /** Arrival time of the probe event ({@link #PROBE_POINT}), 0 until it came. */
    public long probeArrival() {
        return probeArrival;
    }

    /** Events of another run seen since the start (any point). */
    public long foreignTotal() {
        return foreignTotal;
    }

    /** Clears the point's counters; call after the phase names the new point and before it sends. */
    public void resetPoint() {
        onLoop(() -> {
            for (int i = 0; i < seen.length; i++) {
                seen[i].clear();
                maxSeq[i] = -1;
            }
            requests = requestsInWindow = events = maxEventsPerRequest = bytes = 0;
            unique = duplicates = reordered = arrivedInWindow = stragglers = foreign = otherEvents = 0;
            badKeys = badSignatures = otherRequests = 0;
            lastArrival = busyNanos = answeredAt = 0;
            latency.reset();
            fromSend.reset();
            turnaround.reset();
            return null;
        });
    }

    /** First copies of the current point's events so far. */
    public long uniqueSoFar() {
        return onLoop(() -> unique);
    }

    public Stats stats() {
        return onLoop(() -> new Stats(requests, requestsInWindow, events, maxEventsPerRequest, bytes, unique,
                duplicates, reordered, arrivedInWindow, stragglers, foreign, otherEvents, badKeys, badSignatures,
                otherRequests, lastArrival, busyNanos, latency.copy(), fromSend.copy(), turnaround.copy()));
    }

    private <T> T onLoop(Supplier<T> fn) {
        try {
            return loop.submit(fn::get).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("webhook receiver task failed", e);
        }
    }

    /** Counts one webhook request; on the loop. */
    private void onWebhook(FullHttpRequest req, long now) {
        ByteBuf body = req.content();
        boolean inWindow = phase.inWindow(now);
        requests++;
        if (inWindow) {
            requestsInWindow++;
            if (answeredAt != 0) {
                LoopStats.record(turnaround, now - answeredAt);
            }
        }
        lastArrival = now;
        bytes += body.readableBytes();
        if (mac != null) {
            if (!key.equals(req.headers().get("X-Pusher-Key"))) {
                badKeys++;
            }
            mac.update(body.nioBuffer());
            String sig = req.headers().get("X-Pusher-Signature");
            if (sig == null || !sig.equalsIgnoreCase(Signer.hex(mac.doFinal()))) {
                badSignatures++;
            }
        }
        int from = body.readerIndex();
        int to = body.writerIndex();
        long n = 0;
        for (int i = find(body, from, to, EVENT); i >= 0; i = find(body, i + EVENT.length, to, EVENT)) {
            n++;
        }
        events += n;
        maxEventsPerRequest = Math.max(maxEventsPerRequest, n);
        long bench = 0;
        for (int i = find(body, from, to, DATA); i >= 0; ) {
            int d = i + DATA.length;
            int end = body.indexOf(d, to, (byte) '"');
            if (end < 0) {
                break;
            }
            if (end - d > 3 && body.getByte(d) == 'B' && body.getByte(d + 1) == 'Q' && body.getByte(d + 2) == ':'
                    && Payload.parse(body, d, end, fields)) {
                bench++;
                onEvent(body, d, end, now, inWindow);
            }
            i = find(body, end + 1, to, DATA);
        }
        otherEvents += Math.max(0, n - bench);
    }

    /**
     * One benchmark event, its fields in {@link #fields}: point, tag, stream, seq, scheduled send nanos; its data
     * {@code [d, end)} may go on with {@code S<actual send nanos>;}.
     */
    private void onEvent(ByteBuf body, int d, int end, long now, boolean arrivedInWindow) {
        long point = fields[0];
        long stream = fields[2];
        long seq = fields[3];
        if (fields[1] != tag || stream < 0 || stream >= seen.length || seq < 0 || seq >= MAX_SEQ) {
            foreign++;
            foreignTotal++;
            return;
        }
        if (point == PROBE_POINT) {
            if (probeArrival == 0) {
                probeArrival = now;
            }
            return;
        }
        if (point != phase.point()) {
            stragglers++;
            return;
        }
        if (arrivedInWindow) {
            this.arrivedInWindow++;
        }
        int s = (int) stream;
        if (seen[s].get((int) seq)) {
            duplicates++;
            return;
        }
        seen[s].set((int) seq);
        unique++;
        if (seq < maxSeq[s]) {
            reordered++;
        } else {
            maxSeq[s] = seq;
        }
        long scheduled = fields[4];
        if (phase.inWindow(scheduled)) {
            LoopStats.record(latency, now - scheduled);
            long sent = actualSend(body, d, end);
            if (sent > 0) {
                LoopStats.record(fromSend, now - sent);
            }
        }
    }

    /** The number after {@code ;S} that follows the benchmark fields in {@code [d, end)}, or -1. */
    private static long actualSend(ByteBuf b, int d, int end) {
        int semi = b.indexOf(d, end, (byte) ';');
        if (semi < 0 || semi + 2 >= end || b.getByte(semi + 1) != 'S') {
            return -1;
        }
        long v = 0;
        int i = semi + 2;
        for (; i < end; i++) {
            byte c = b.getByte(i);
            if (c < '0' || c > '9') {
                break;
            }
            v = v * 10 + (c - '0');
        }
        return i > semi + 2 && i < end && b.getByte(i) == ';' ? v : -1;
    }

    /** First index of {@code pat} in {@code [from, to)} of {@code b}, or -1. */
    static int find(ByteBuf b, int from, int to, byte[] pat) {
        int last = to - pat.length;
        int i = from;
        while (i <= last) {
            int q = b.indexOf(i, last + 1, pat[0]);
            if (q < 0) {
                return -1;
            }
            boolean match = true;
            for (int k = 1; k < pat.length; k++) {
                if (b.getByte(q + k) != pat[k]) {
                    match = false;
                    break;
                }
            }
            if (match) {
                return q;
            }
            i = q + 1;
        }
        return -1;
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            long now = System.nanoTime();
            String uri = req.uri();
            int q = uri.indexOf('?');
            String p = q < 0 ? uri : uri.substring(0, q);
            HttpResponseStatus status;
            if (req.method() == HttpMethod.POST && p.equals(path)) {
                onWebhook(req, now);
                status = HttpResponseStatus.OK;
            } else {
                otherRequests++;
                status = HttpResponseStatus.NOT_FOUND;
            }
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.wrappedBuffer(OK_BODY));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, OK_BODY.length);
            if (HttpUtil.isKeepAlive(req)) {
                if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                    res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                }
                ctx.writeAndFlush(res, ctx.voidPromise());
            } else {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
            answeredAt = System.nanoTime();
            busyNanos += answeredAt - now;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
