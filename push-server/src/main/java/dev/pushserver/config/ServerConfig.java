package dev.pushserver.config;

import java.util.List;

/**
 * The whole server configuration after defaults, file, environment and command line were merged. Immutable.
 *
 * @param apiPort            0 serves the HTTP API on {@code port} next to the WebSocket endpoint
 * @param maxOutboundBuffer  unsent bytes a connection may accumulate before it is closed as a slow consumer
 * @param eventLoopThreads   0 means one per available core
 * @param devApp             no app was configured: {@code apps} holds only the built-in dev app
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
        List<AppConfig> apps,
        boolean devApp) {

    public ServerConfig {
        apps = List.copyOf(apps);
    }

    public boolean separateApiPort() {
        return apiPort != 0 && apiPort != port;
    }
}
