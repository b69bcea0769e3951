package dev.pushserver.transport;

import dev.pushserver.api.ApiError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Answers the HTTP requests of one connection in the order they arrived (HTTP/1.1 pipelining), although their
 * answers may complete out of order. While too many answers are pending, the connection stops reading. Loop-confined.
 */
final class HttpResponder {

    /** Answers that may be pending at once before reading pauses. */
    static final int MAX_PENDING = 16;

    private final ChannelHandlerContext ctx;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean closed;

    private record Pending(CompletableFuture<FullHttpResponse> response, boolean keepAlive) {
    }

    HttpResponder(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    void respond(FullHttpResponse response, boolean keepAlive) {
        respond(CompletableFuture.completedFuture(response), keepAlive);
    }

    void respond(CompletionStage<FullHttpResponse> response, boolean keepAlive) {
        CompletableFuture<FullHttpResponse> f = response.toCompletableFuture();
        if (queue.isEmpty() && f.isDone()) {
            write(f, keepAlive);
            return;
        }
        queue.add(new Pending(f, keepAlive));
        if (queue.size() >= MAX_PENDING) {
            ctx.channel().config().setAutoRead(false);
        }
        if (!f.isDone()) {
            f.whenComplete((r, e) -> {
                if (ctx.executor().inEventLoop()) {
                    drain();
                } else {
                    ctx.executor().execute(this::drain);
                }
            });
        } else {
            drain();
        }
    }

    private void drain() {
        while (!queue.isEmpty() && queue.peek().response.isDone()) {
            Pending p = queue.poll();
            write(p.response, p.keepAlive);
        }
        if (queue.size() < MAX_PENDING && !closed && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void write(CompletableFuture<FullHttpResponse> f, boolean keepAlive) {
        FullHttpResponse r;
        try {
            r = f.join();
        } catch (RuntimeException e) {
            r = HttpResponses.json(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    ApiError.body("Internal server error; try again"));
        }
        if (closed) {
            r.release();
            return;
        }
        HttpResponses.send(ctx, r, keepAlive);
        if (!keepAlive) {
            closed = true;
        }
    }
}
