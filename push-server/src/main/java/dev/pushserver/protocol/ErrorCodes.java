package dev.pushserver.protocol;

/** Pusher close / error codes (reference §1.6). */
public final class ErrorCodes {
    public static final int APP_NOT_FOUND = 4001;
    public static final int APP_DISABLED = 4003;
    public static final int PATH_NOT_FOUND = 4005;
    public static final int INVALID_VERSION = 4006;
    public static final int UNSUPPORTED_PROTOCOL = 4007;
    public static final int NO_PROTOCOL = 4008;
    public static final int UNAUTHORIZED = 4009;
    public static final int OVER_CAPACITY = 4100;
    public static final int RECONNECT_IMMEDIATELY = 4200;
    public static final int PONG_NOT_RECEIVED = 4201;
    public static final int CLIENT_EVENT_RATE_LIMIT = 4301;
    public static final int WATCHLIST_LIMIT = 4302;

    /** WebSocket: message too big (RFC 6455). */
    public static final int MESSAGE_TOO_BIG = 1009;
    /** WebSocket: protocol error (RFC 6455). */
    public static final int PROTOCOL_ERROR = 1002;

    private ErrorCodes() {
    }
}
