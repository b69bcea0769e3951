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
 * answers may complete out of order. The connection stops reading while too many answers are pending or while the
 * client does not read what was sent (more than {@code max_outbound_buffer} unsent); a client that is still not
 * reading when its next answer is due is disconnected. Loop-confined.
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
        updateReading();
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
        updateReading();
    }

    /** The socket took (or stopped taking) what was written. */
    void writabilityChanged() {
        updateReading();
    }

    private void updateReading() {
        boolean read = !closed && queue.size() < MAX_PENDING && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
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
        if (!ctx.channel().isWritable()) {
            // the client has not read the earlier answers: it does not get more to leave unread
            r.release();
            closed = true;
            ctx.close();
            return;
        }
        HttpResponses.send(ctx, r, keepAlive);
        if (!keepAlive) {
            closed = true;
        }
    }
}
