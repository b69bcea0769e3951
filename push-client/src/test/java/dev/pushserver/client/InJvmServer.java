package dev.pushserver.client;

import dev.pushserver.PushServer;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import java.util.Map;

/** A real push-server on a free loopback port, apps {@code app-n / key-n / secret-n} (n = 1, 2). */
final class InJvmServer implements AutoCloseable {

    static final String YAML = """
            max_connections_per_ip: 0
            max_new_connections_per_ip_per_second: 0
            apps:
              - id: app-1
                key: key-1
                secret: secret-1
                enable_client_messages: true
              - id: app-2
                key: key-2
                secret: secret-2
            host: 127.0.0.1
            port: 0
            """;

    final PushServer server;

    private InJvmServer(PushServer server) {
        this.server = server;
    }

    static InJvmServer start() {
        return start(YAML);
    }

    /** Starts with this complete YAML (give it host 127.0.0.1, port 0 and the per-address limits lifted). */
    static InJvmServer start(String yaml) {
        ServerConfig cfg = ConfigLoader.fromYaml(yaml, Map.of());
        try {
            return new InJvmServer(PushServer.start(cfg));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    int wsPort() {
        return server.port();
    }

    int apiPort() {
        return server.apiPort();
    }

    PushApi api(int n) {
        return api("app-" + n, "key-" + n, "secret-" + n);
    }

    PushApi api(String appId, String key, String secret) {
        return PushApi.builder().host("127.0.0.1").port(apiPort()).appId(appId).key(key).secret(secret).build();
    }

    @Override
    public void close() {
        server.stop();
    }
}
