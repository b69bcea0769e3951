package dev.pushserver;

import dev.pushserver.config.AppConfig;
import dev.pushserver.config.ConfigException;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Command-line entry point. */
@Command(name = "push-server", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {HooksCommand.class, HealthCommand.class},
        description = "A Pusher Channels compatible WebSocket server and HTTP API.%n"
                + "With no options it runs one node with in-memory state and a dev app printed at start-up.%n"
                + "Every config key can also be set as an environment variable PUSH_<KEY> "
                + "(apps: PUSH_APPS_<n>_<KEY>).")
public final class Main implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file")
    Path config;

    @Option(names = {"-p", "--port"}, paramLabel = "N", description = "port for WebSocket and HTTP API (default 6001)")
    Integer port;

    @Option(names = {"--host"}, paramLabel = "ADDR", description = "address to listen on (default 127.0.0.1)")
    String host;

    @Option(names = {"--demo"}, description = "serve the demo chat page at /demo/ and POST /subscribe/auth, which "
            + "signs channel auth for ANY visitor (never in production; config key demo, env PUSH_DEMO)")
    boolean demo;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg;
        List<String> warnings = new ArrayList<>();
        try {
            Map<String, String> overrides = new LinkedHashMap<>();
            overrides.put("port", port == null ? null : port.toString());
            overrides.put("host", host);
            overrides.put("demo", demo ? "true" : null);
            cfg = ConfigLoader.load(config, System.getenv(), overrides, warnings);
        } catch (ConfigException e) {
            System.err.println("push-server: invalid configuration: " + e.getMessage());
            return 2;
        }
        warnings.forEach(log::warn);
        PushServer server;
        try {
            server = PushServer.start(cfg);
        } catch (ConfigException e) {
            System.err.println("push-server: invalid configuration: " + e.getMessage());
            return 2;
        } catch (IllegalStateException e) {
            System.err.println("push-server: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping: telling clients to reconnect (grace period {}s)", cfg.shutdownGraceSeconds());
            server.stop();
            stopped.countDown();
        }, "shutdown"));
        announce(cfg, server);
        stopped.await();
        return 0;
    }

    private void announce(ServerConfig cfg, PushServer server) {
        String hostPort = cfg.host() + ":" + server.port();
        log.info("push-server {} listening on {}://{}/app/<key> (HTTP API on {}{}:{})", Version.get(),
                cfg.ops().tls() ? "wss" : "ws", hostPort, cfg.ops().tls() ? "https://" : "", cfg.host(),
                server.apiPort());
        for (AppConfig app : cfg.apps()) {
            // the secret is printed only for the built-in dev app, never for a configured one (file or environment)
            String secret = cfg.devApp() ? app.secret() : "(configured)";
            log.info("app id={} key={} secret={}{}{}", app.id(), app.key(), secret,
                    app.enabled() ? "" : " [disabled]", app.enableClientMessages() ? " [client events on]" : "");
        }
        if (cfg.demo()) {
            log.warn("DEMO MODE ON: http://{}/demo/ is served and POST /subscribe/auth signs private and presence "
                    + "channel auth for ANY visitor with the secret of app {}. Never run this in production.",
                    hostPort, cfg.apps().get(0).id());
        }
        if (cfg.devApp() && !cfg.host().startsWith("127.") && !cfg.host().equals("localhost")) {
            log.warn("listening on {} with the dev app's well-known secret: configure an app (PUSH_APPS_0_ID, "
                    + "PUSH_APPS_0_KEY, PUSH_APPS_0_SECRET or --config)", cfg.host());
        }
    }

    /** Version from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        static String get() {
            try (InputStream in = Main.class.getResourceAsStream("/push-server-version.properties")) {
                Properties p = new Properties();
                if (in != null) {
                    p.load(in);
                }
                return p.getProperty("version", "dev");
            } catch (IOException e) {
                return "dev";
            }
        }

        @Override
        public String[] getVersion() {
            return new String[] {"push-server " + get()};
        }
    }
}
