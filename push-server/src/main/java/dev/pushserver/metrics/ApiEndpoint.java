package dev.pushserver.metrics;

/**
 * The {@code endpoint} label of {@code push_http_requests_seconds}: a fixed set, never the raw path (channel and
 * user names would make a label value each).
 */
public enum ApiEndpoint {
    EVENTS("events"), BATCH_EVENTS("batch_events"), CHANNELS("channels"), CHANNEL("channel"), USERS("users"),
    TERMINATE("terminate"), OTHER("other");

    final String label;

    ApiEndpoint(String label) {
        this.label = label;
    }

    /** The app id in {@code /apps/<id>/...}, or null. */
    static String appId(String path) {
        int at = path.indexOf("/apps/");
        if (at < 0) {
            return null;
        }
        int start = at + 6;
        int end = path.indexOf('/', start);
        return end < 0 ? path.substring(start) : path.substring(start, end);
    }

    /** Classifies a (decoded) request path the way the API routes it. */
    static ApiEndpoint of(String path) {
        int at = path.indexOf("/apps/");
        if (at < 0) {
            return OTHER;
        }
        String[] s = path.substring(at + 1).split("/", -1);
        int n = s.length;
        if (n == 3 && s[2].equals("events")) {
            return EVENTS;
        }
        if (n == 3 && s[2].equals("batch_events")) {
            return BATCH_EVENTS;
        }
        if (n == 3 && s[2].equals("channels")) {
            return CHANNELS;
        }
        if (n == 4 && s[2].equals("channels") && !s[3].isEmpty()) {
            return CHANNEL;
        }
        if (n == 5 && s[2].equals("channels") && s[4].equals("users")) {
            return USERS;
        }
        if (n == 5 && s[2].equals("users") && s[4].equals("terminate_connections")) {
            return TERMINATE;
        }
        return OTHER;
    }
}
