package dev.pushserver.api;

import java.util.Map;

/**
 * An HTTP API answer: status, JSON body, and the headers it needs beyond the usual ones (e.g. {@code Allow} on a 405,
 * {@code Retry-After} on a 429); usually none.
 */
public record ApiResponse(int status, byte[] body, Map<String, String> headers) {

    public ApiResponse {
        headers = Map.copyOf(headers);
    }

    public static ApiResponse ok(byte[] body) {
        return new ApiResponse(200, body, Map.of());
    }

    public static ApiResponse error(int status, String message) {
        return new ApiResponse(status, ApiError.body(message), Map.of());
    }
}
