package dev.pushserver.api;

/**
 * An HTTP API answer: status, JSON body, and for a 405 the method to name in the {@code Allow} header (else null).
 */
public record ApiResponse(int status, byte[] body, String allow) {

    public static ApiResponse ok(byte[] body) {
        return new ApiResponse(200, body, null);
    }

    public static ApiResponse error(int status, String message) {
        return new ApiResponse(status, ApiError.body(message), null);
    }
}
