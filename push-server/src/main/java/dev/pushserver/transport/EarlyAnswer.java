package dev.pushserver.transport;

import dev.pushserver.api.ApiError;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * An answer decided before a request reached the router (a body over the limit, a head that fails its checks, no
 * room for another body), handed on in place of the request so that the router sends it in its turn among
 * pipelined requests. When {@code keepAlive} is false the connection closes after it and the body is never read.
 */
record EarlyAnswer(FullHttpResponse response, boolean keepAlive) {

    static EarlyAnswer of(HttpResponseStatus status, String message, boolean keepAlive) {
        return new EarlyAnswer(HttpResponses.json(status, ApiError.body(message)), keepAlive);
    }
}
