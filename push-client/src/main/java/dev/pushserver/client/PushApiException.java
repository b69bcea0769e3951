package dev.pushserver.client;

/**
 * A failed HTTP API call: the HTTP status (0 when no response arrived, e.g. a connection error or timeout) and the
 * server's message (the {@code error} field of its JSON body, or the raw body if it was not JSON).
 */
public class PushApiException extends RuntimeException {

    private final int status;

    public PushApiException(int status, String message) {
        this(status, message, null);
    }

    public PushApiException(int status, String message, Throwable cause) {
        super(status == 0 ? message : "HTTP " + status + ": " + message, cause);
        this.status = status;
    }

    /** The HTTP status, or 0 if the request did not get a response. */
    public int status() {
        return status;
    }
}
