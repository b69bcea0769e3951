package dev.pushserver.api;

import dev.pushserver.protocol.Json;
import java.util.Map;

/** A rejected API request: the HTTP status and a message that says what is wrong. */
public final class ApiError extends RuntimeException {

    public static final int BAD_REQUEST = 400;
    public static final int UNAUTHORIZED = 401;
    public static final int FORBIDDEN = 403;
    public static final int NOT_FOUND = 404;
    public static final int METHOD_NOT_ALLOWED = 405;
    public static final int PAYLOAD_TOO_LARGE = 413;
    public static final int TOO_MANY_REQUESTS = 429;
    public static final int UNAVAILABLE = 503;

    private final int status;
    private final Map<String, String> headers;

    public ApiError(int status, String message) {
        this(status, message, Map.of());
    }

    /** @param headers what the answer must also say, e.g. {@code Allow} on a 405 */
    ApiError(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = headers;
    }

    public int status() {
        return status;
    }

    ApiResponse response() {
        return new ApiResponse(status, body(getMessage()), headers);
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
