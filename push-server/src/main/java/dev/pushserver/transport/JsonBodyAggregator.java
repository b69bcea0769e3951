package dev.pushserver.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/** Aggregates request bodies up to the configured size; a larger one is answered 413 (an {@link EarlyAnswer}). */
final class JsonBodyAggregator extends HttpObjectAggregator {

    private final int max;

    JsonBodyAggregator(int maxContentLength) {
        super(maxContentLength);
        this.max = maxContentLength;
    }

    /**
     * Called as soon as the declared or received size is over the limit; the router answers 413. On a keep-alive
     * connection it stays open and the aggregator discards the rest of the body, so the client reads the answer
     * instead of a reset; otherwise the answer says {@code Connection: close} and the connection closes after it.
     */
    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        boolean keepAlive = oversized instanceof HttpRequest && !(oversized instanceof FullHttpMessage)
                && HttpUtil.isKeepAlive(oversized);
        ctx.fireChannelRead(EarlyAnswer.of(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "Request body is larger than the maximum of " + max + " bytes", keepAlive));
    }
}
