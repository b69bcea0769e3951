package dev.pushserver.testing;

import com.pusher.client.Pusher;
import com.pusher.client.PusherOptions;
import dev.pushserver.PushServer;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real push-server on a free loopback port for tests, with two apps by default:
 * {@code app-1 / key-1 / secret-1} (client events on) and {@code app-2 / key-2 / secret-2}. Either started directly
 * ({@link #start}, closed by the test) or as a JUnit extension that starts and stops it around each test
 * ({@link #perTest}) or the whole class ({@link #perClass}).
 */
public final class TestServer
        implements AutoCloseable, BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    public static final String DEFAULT_APPS = AppsYaml.apps(
            AppsYaml.app(1, "enable_client_messages: true"),
            AppsYaml.app(2));

    /** Set for a fixture ({@link #perClass}/{@link #perTest}): the YAML it starts with. */
    private final String yaml;
    private final boolean perClass;
    private volatile PushServer server;
    private final List<com.pusher.rest.Pusher> httpClients = new CopyOnWriteArrayList<>();

    private TestServer(PushServer server) {
        this.yaml = null;
        this.perClass = false;
        this.server = server;
    }

    private TestServer(String yaml, boolean perClass) {
        this.yaml = yaml;
        this.perClass = perClass;
    }

    /**
     * A server started before all tests of the class and stopped after them; register it on a static field with
     * {@code @RegisterExtension}. It is running in {@code @BeforeAll} methods.
     */
    public static TestServer perClass(String yaml) {
        return new TestServer(yaml, true);
    }

    /**
     * A server started before each test and stopped after it; register it on an instance field with
     * {@code @RegisterExtension}. It is running in {@code @BeforeEach} methods.
     */
    public static TestServer perTest(String yaml) {
        return new TestServer(yaml, false);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (perClass) {
            server = start(yaml).server;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (perClass) {
            close();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            server = start(yaml).server;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            close();
        }
    }

    /** Starts with the two default apps. */
    public static TestServer start() {
        return start(DEFAULT_APPS);
    }

    /**
     * Every test client connects from 127.0.0.1, often a hundred at once: the per-address connection limits are
     * lifted unless the test's YAML sets them (a later key wins). The hardening tests set their own.
     */
    static final String ONE_ADDRESS = "max_connections_per_ip: 0\nmax_new_connections_per_ip_per_second: 0\n";

    /** Starts with this YAML merged over the embedded defaults; host and port are forced to 127.0.0.1:0. */
    public static TestServer start(String yaml) {
        ServerConfig cfg = ConfigLoader.fromYaml(ONE_ADDRESS + yaml + "\nhost: 127.0.0.1\nport: 0\n", Map.of());
        try {
            return new TestServer(PushServer.start(cfg));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public PushServer server() {
        PushServer s = server;
        if (s == null) {
            throw new IllegalStateException("the test server has not been started");
        }
        return s;
    }

    public int port() {
        return server().port();
    }

    public int apiPort() {
        return server().apiPort();
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

    /** Official pusher-http-java client for an app; closed when this server stops. */
    public com.pusher.rest.Pusher httpClient(String appId, String key, String secret) {
        com.pusher.rest.Pusher p = new com.pusher.rest.Pusher(appId, key, secret);
        p.setHost("127.0.0.1:" + apiPort());
        p.setEncrypted(false);
        httpClients.add(p);
        return p;
    }

    /** Stops the server and closes the HTTP clients it handed out; {@link #port()} still tells where it was. */
    @Override
    public void close() {
        PushServer s = server;
        for (com.pusher.rest.Pusher p : httpClients) {
            try {
                p.close();
            } catch (Exception ignored) {
                // best effort in clean-up
            }
        }
        httpClients.clear();
        if (s != null) {
            s.stop();
        }
    }

}
