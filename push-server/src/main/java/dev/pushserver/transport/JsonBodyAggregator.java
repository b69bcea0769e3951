package dev.pushserver.transport;

import dev.pushserver.api.ApiError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

/** Aggregates request bodies up to the configured size and answers a larger one with a JSON 413. */
final class JsonBodyAggregator extends HttpObjectAggregator {

    private final int max;

    JsonBodyAggregator(int maxContentLength) {
        super(maxContentLength);
        this.max = maxContentLength;
    }

    /**
     * Answers 413 as soon as the declared or received size is over the limit. On a keep-alive connection it stays
     * open and the aggregator discards the rest of the body, so the client reads the answer instead of a reset;
     * otherwise the answer says {@code Connection: close} and the connection closes after it.
     */
    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        FullHttpResponse answer = HttpResponses.json(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                ApiError.body("Request body is larger than the maximum of " + max + " bytes"));
        boolean keepAlive = oversized instanceof HttpRequest && !(oversized instanceof FullHttpMessage)
                && HttpUtil.isKeepAlive(oversized);
        HttpResponses.send(ctx, answer, keepAlive);
    }
}
