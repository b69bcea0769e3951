package dev.pushserver.api;

import dev.pushserver.protocol.Json;
import io.netty.handler.codec.http.HttpResponseStatus;

/** A rejected API request: the HTTP status and a message that says what is wrong. */
public final class ApiError extends RuntimeException {

    private final HttpResponseStatus status;
    private final String allow;

    public ApiError(HttpResponseStatus status, String message) {
        this(status, message, null);
    }

    /** @param allow the method to name in an {@code Allow} header (405), or null */
    ApiError(HttpResponseStatus status, String message, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.allow = allow;
    }

    /** The {@code Allow} header value for a 405, or null. */
    public String allow() {
        return allow;
    }

    public HttpResponseStatus status() {
        return status;
    }

    /** {@code {"error":"<message>"}} */
    public static byte[] body(String message) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("error", message);
            g.writeEndObject();
        });
    }

    static ApiError badRequest(String message) {
        return new ApiError(HttpResponseStatus.BAD_REQUEST, message);
    }
}
