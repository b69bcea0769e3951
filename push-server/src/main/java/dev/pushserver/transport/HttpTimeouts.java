package dev.pushserver.transport;

import dev.pushserver.config.ServerConfig;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines for a connection that has not earned trust yet: a new connection must send a complete request head
 * (HTTP request or WebSocket upgrade) within {@code http_header_timeout}, a body must arrive within
 * {@code http_body_timeout} of its head, and a keep-alive connection may stay idle between requests for
 * {@code http_idle_timeout}. Past a deadline the connection is closed. Removed once a WebSocket upgrade succeeds
 * (liveness takes over).
 */
final class HttpTimeouts extends ChannelDuplexHandler {

    private final long headNanos;
    private final long bodyNanos;
    private final long idleNanos;
    private ScheduledFuture<?> deadline;
    /** requests whose head has arrived and whose answer has not been written yet */
    private int inFlight;

    HttpTimeouts(ServerConfig.NetworkLimits limits) {
        this.headNanos = TimeUnit.SECONDS.toNanos(limits.httpHeaderTimeoutSeconds());
        this.bodyNanos = TimeUnit.SECONDS.toNanos(limits.httpBodyTimeoutSeconds());
        this.idleNanos = TimeUnit.SECONDS.toNanos(limits.httpIdleTimeoutSeconds());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        armWaiting(ctx, headNanos);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest) {
            inFlight++;
            busy(ctx);
            if (msg instanceof LastHttpContent || !RequestGate.hasBody((HttpRequest) msg)) {
                disarm(); // the request is complete (or will be with its empty last part): the answer is ours to give
            } else {
                arm(ctx, bodyNanos);
            }
        } else if (msg instanceof LastHttpContent) {
            disarm();
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof FullHttpResponse r && r.status().code() >= HttpResponseStatus.OK.code()
                && inFlight > 0 && --inFlight == 0) {
            armWaiting(ctx, idleNanos); // answered everything: the client may now idle, but not for ever
        }
        super.write(ctx, msg, promise);
    }

    /** Waiting for the client (a request head, or idle between requests): evictable when the server is full. */
    private void armWaiting(ChannelHandlerContext ctx, long nanos) {
        arm(ctx, nanos);
        ConnectionGuard.Waiting w = ctx.channel().attr(ConnectionGuard.WAITING).get();
        if (w != null) {
            w.idleSince = System.nanoTime();
        }
    }

    private void busy(ChannelHandlerContext ctx) {
        ConnectionGuard.Waiting w = ctx.channel().attr(ConnectionGuard.WAITING).get();
        if (w != null) {
            w.idleSince = 0;
        }
    }

    private void arm(ChannelHandlerContext ctx, long nanos) {
        disarm();
        deadline = ctx.executor().schedule(() -> {
            deadline = null;
            ctx.close();
        }, nanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        super.channelInactive(ctx);
    }
}
