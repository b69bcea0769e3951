package dev.pushserver.transport;

import dev.pushserver.api.ApiResponse;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks the cheap parts of a request before its body is buffered: an HTTP API request with a body over
 * {@link #CHECK_HEAD_ABOVE} bytes whose head already fails (path, method, app, auth_key, auth_version,
 * auth_timestamp) is answered at once and its body never read, and no more than
 * {@code max_concurrent_request_bodies} bodies are received at a time, server-wide. A smaller body costs less to read
 * than to check its head twice (the API checks it again with the signature), so it is read. Sits between the HTTP
 * decoder and the body aggregator.
 */
final class RequestGate extends ChannelInboundHandlerAdapter {

    /** Bodies being received, server-wide. */
    static final class Bodies {
        private final AtomicInteger receiving = new AtomicInteger();
        private final int max;

        Bodies(int max) {
            this.max = max;
        }

        boolean tryAcquire() {
            while (true) {
                int n = receiving.get();
                if (n >= max) {
                    return false;
                }
                if (receiving.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }

        void release() {
            receiving.decrementAndGet();
        }
    }

    /** Bodies larger than this (or of unknown length) are worth refusing before they are read. */
    static final long CHECK_HEAD_ABOVE = 8 * 1024;

    private final ServerContext server;
    private final Bodies bodies;
    private final boolean api;
    /** this connection holds one of the body slots */
    private boolean holding;
    /** a refused request's body is being dropped (the connection closes after the answer) */
    private boolean discarding;

    RequestGate(ServerContext server, Bodies bodies, boolean api) {
        this.server = server;
        this.bodies = bodies;
        this.api = api;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarding) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req && !(msg instanceof FullHttpRequest) && req.decoderResult().isSuccess()
                && hasBody(req)) {
            FullHttpResponse refusal = null;
            if (api && bodyOver(req, CHECK_HEAD_ABOVE) && req.uri().contains("/apps/")) {
                ApiResponse r = server.api().precheck(req.method().name(), req.uri());
                if (r != null) {
                    refusal = HttpResponses.json(HttpResponseStatus.valueOf(r.status()), r.body());
                    r.headers().forEach(refusal.headers()::set);
                }
            }
            if (refusal == null && !bodies.tryAcquire()) {
                refusal = EarlyAnswer.of(HttpResponseStatus.SERVICE_UNAVAILABLE, "Too many requests are sending a "
                        + "body right now (max_concurrent_request_bodies); retry", false).response();
            }
            if (refusal != null) {
                discarding = true;
                ReferenceCountUtil.release(msg);
                ctx.fireChannelRead(new EarlyAnswer(refusal, false));
                return;
            }
            holding = true;
        }
        if (holding && msg instanceof LastHttpContent) {
            holding = false;
            bodies.release();
        }
        ctx.fireChannelRead(msg);
    }

    static boolean hasBody(HttpRequest req) {
        return bodyOver(req, 0);
    }

    /** A body longer than {@code bytes}, or of unknown length (chunked, or a length that does not parse). */
    private static boolean bodyOver(HttpRequest req, long bytes) {
        try {
            return HttpUtil.getContentLength(req, 0L) > bytes || HttpUtil.isTransferEncodingChunked(req);
        } catch (NumberFormatException e) {
            return true;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (holding) {
            holding = false;
            bodies.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }
}
