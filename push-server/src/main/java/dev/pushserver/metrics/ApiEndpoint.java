package dev.pushserver.metrics;

/**
 * The {@code endpoint} label of {@code push_http_requests_seconds}: a fixed set, never the raw path (channel and
 * user names would make a label value each). The names are those of the HTTP API's routes, which classify a path.
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

    /** The label of the API's route name ({@code ApiHandler.route}), OTHER for null. */
    static ApiEndpoint of(String route) {
        return route == null ? OTHER : valueOf(route);
    }
}
