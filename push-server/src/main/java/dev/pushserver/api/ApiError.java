package dev.pushserver.api;

import dev.pushserver.protocol.Json;

/** A rejected API request: the HTTP status and a message that says what is wrong. */
public final class ApiError extends RuntimeException {

    public static final int BAD_REQUEST = 400;
    public static final int UNAUTHORIZED = 401;
    public static final int FORBIDDEN = 403;
    public static final int NOT_FOUND = 404;
    public static final int METHOD_NOT_ALLOWED = 405;
    public static final int PAYLOAD_TOO_LARGE = 413;
    public static final int UNAVAILABLE = 503;

    private final int status;
    private final String allow;

    public ApiError(int status, String message) {
        this(status, message, null);
    }

    /** @param allow the method to name in an {@code Allow} header (405), or null */
    ApiError(int status, String message, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.allow = allow;
    }

    public int status() {
        return status;
    }

    ApiResponse response() {
        return new ApiResponse(status, body(getMessage()), allow);
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
        return new ApiError(BAD_REQUEST, message);
    }
}
