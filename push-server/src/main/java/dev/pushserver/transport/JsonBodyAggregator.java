package dev.pushserver.transport;

import dev.pushserver.api.ApiError;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

/** Aggregates request bodies up to the configured size and answers a larger one with a JSON 413. */
final class JsonBodyAggregator extends HttpObjectAggregator {

    private final int max;

    JsonBodyAggregator(int maxContentLength) {
        super(maxContentLength);
        this.max = maxContentLength;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        ctx.writeAndFlush(HttpResponses.json(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                        ApiError.body("Request body is larger than the maximum of " + max + " bytes")))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
