package dev.pushserver.testing;

import com.pusher.client.Pusher;
import com.pusher.client.PusherOptions;
import dev.pushserver.PushServer;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import java.util.Map;

/**
 * A real push-server on a free loopback port for tests, with two apps by default:
 * {@code app-1 / key-1 / secret-1} (client events on) and {@code app-2 / key-2 / secret-2}.
 */
public final class TestServer implements AutoCloseable {

    public static final String DEFAULT_APPS = """
            apps:
              - id: app-1
                key: key-1
                secret: secret-1
                enable_client_messages: true
              - id: app-2
                key: key-2
                secret: secret-2
            """;

    private final PushServer server;

    private TestServer(PushServer server) {
        this.server = server;
    }

    /** Starts with the two default apps. */
    public static TestServer start() {
        return start(DEFAULT_APPS);
    }

    /** Starts with this YAML merged over the embedded defaults; host and port are forced to 127.0.0.1:0. */
    public static TestServer start(String yaml) {
        ServerConfig cfg = ConfigLoader.fromYaml(yaml + "\nhost: 127.0.0.1\nport: 0\n", Map.of());
        try {
            return new TestServer(PushServer.start(cfg));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public PushServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public int apiPort() {
        return server.apiPort();
    }

    /** ws://127.0.0.1:port/app/{key}?protocol=7&client=js&version=8.4.0 */
    public String wsUrl(String key) {
        return "ws://127.0.0.1:" + port() + "/app/" + key + "?protocol=7&client=js&version=8.4.0&flash=false";
    }

    /** Official pusher-websocket-java client (protocol 5), not yet connected. */
    public Pusher pusherClient(String key) {
        return pusherClient(key, null);
    }

    /** Official pusher-websocket-java client whose channel authorizer is {@code authorizer} (may be null). */
    public Pusher pusherClient(String key, com.pusher.client.ChannelAuthorizer authorizer) {
        return pusherClient(key, authorizer, null);
    }

    /** Official pusher-websocket-java client with an optional channel authorizer and user authenticator. */
    public Pusher pusherClient(String key, com.pusher.client.ChannelAuthorizer authorizer,
            com.pusher.client.UserAuthenticator users) {
        PusherOptions options = clientOptions(port());
        if (authorizer != null) {
            options.setChannelAuthorizer(authorizer);
        }
        if (users != null) {
            options.setUserAuthenticator(users);
        }
        return new Pusher(key, options);
    }

    /** Options of the official pusher-websocket-java client for a server on 127.0.0.1:{@code port}, without TLS. */
    public static PusherOptions clientOptions(int port) {
        return new PusherOptions().setHost("127.0.0.1").setWsPort(port).setUseTLS(false);
    }

    /** Official pusher-http-java client for an app. */
    public com.pusher.rest.Pusher httpClient(String appId, String key, String secret) {
        com.pusher.rest.Pusher p = new com.pusher.rest.Pusher(appId, key, secret);
        p.setHost("127.0.0.1:" + apiPort());
        p.setEncrypted(false);
        return p;
    }

    @Override
    public void close() {
        server.stop();
    }

}
