package dev.pushserver.cluster;

import dev.pushserver.app.App;

/**
 * A notice for every other node of the cluster about one user: close its connections (the HTTP API's
 * terminate_connections), or it came online or went offline (watchlist events of the watchers connected there).
 */
public record NodeMessage(App app, Kind kind, String userId) {

    public enum Kind { TERMINATE, USER_ONLINE, USER_OFFLINE }
}
