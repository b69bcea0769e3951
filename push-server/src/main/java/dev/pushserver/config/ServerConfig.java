package dev.pushserver.config;

import java.util.List;

/**
 * The whole server configuration after defaults, file, environment and command line were merged. Immutable.
 *
 * @param apiPort            0 serves the HTTP API on {@code port} next to the WebSocket endpoint
 * @param maxOutboundBuffer  unsent bytes a connection may accumulate before it is closed as a slow consumer
 * @param eventLoopThreads   0 means one per available core
 * @param network            limits on connections and on requests before they are trusted
 * @param hooks              how hook events (webhooks) are queued and delivered
 * @param redis              the deployment's Redis, if any
 * @param devApp             no app was configured: {@code apps} holds only the built-in dev app
 * @param demo               serve the demo chat page and its sample auth endpoint (signs for anyone: never in production)
 * @param ops                metrics, TLS and the debug console
 */
public record ServerConfig(
        String host,
        int port,
        int apiPort,
        int activityTimeoutSeconds,
        int pongTimeoutSeconds,
        int maxFrameSize,
        int maxRequestBodySize,
        int maxOutboundBuffer,
        int shutdownGraceSeconds,
        int eventLoopThreads,
        NetworkLimits network,
        HookSettings hooks,
        RedisSettings redis,
        List<AppConfig> apps,
        boolean devApp,
        boolean demo,
        Operations ops) {

    public ServerConfig {
        apps = List.copyOf(apps);
    }

    /** Without the demo. */
    public ServerConfig(String host, int port, int apiPort, int activityTimeoutSeconds, int pongTimeoutSeconds,
            int maxFrameSize, int maxRequestBodySize, int maxOutboundBuffer, int shutdownGraceSeconds,
            int eventLoopThreads, NetworkLimits network, HookSettings hooks, RedisSettings redis,
            List<AppConfig> apps, boolean devApp) {
        this(host, port, apiPort, activityTimeoutSeconds, pongTimeoutSeconds, maxFrameSize, maxRequestBodySize,
                maxOutboundBuffer, shutdownGraceSeconds, eventLoopThreads, network, hooks, redis, apps, devApp, false,
                Operations.DEFAULTS);
    }

    public boolean separateApiPort() {
        return apiPort != 0 && apiPort != port;
    }

    /**
     * What a client must respect before the server trusts it, and how many connections it may hold.
     *
     * @param maxConnections                 open TCP connections of the server; 0 = the open-file limit minus a spare
     * @param maxConnectionsPerIp            open TCP connections per client address; 0 = unlimited
     * @param maxNewConnectionsPerIpPerSecond new TCP connections per client address per second; 0 = unlimited
     * @param httpHeaderTimeoutSeconds       time to send a complete request head on a new connection
     * @param httpBodyTimeoutSeconds         time to send a request body once its head has arrived
     * @param httpIdleTimeoutSeconds         time a keep-alive HTTP connection may stay idle between requests
     * @param maxConcurrentRequestBodies     request bodies being received at once, server-wide
     */
    public record NetworkLimits(
            int maxConnections,
            int maxConnectionsPerIp,
            int maxNewConnectionsPerIpPerSecond,
            int httpHeaderTimeoutSeconds,
            int httpBodyTimeoutSeconds,
            int httpIdleTimeoutSeconds,
            int maxConcurrentRequestBodies) {
    }

    public ServerConfig withHooks(HookSettings h) {
        return new ServerConfig(host, port, apiPort, activityTimeoutSeconds, pongTimeoutSeconds, maxFrameSize,
                maxRequestBodySize, maxOutboundBuffer, shutdownGraceSeconds, eventLoopThreads, network, h, redis, apps,
                devApp, demo, ops);
    }
}
