package dev.pushserver.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pushserver.PushServer;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.testing.TestServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the real JavaScript clients against push-server: {@code src/test/js/compat.mjs} drives pusher-js 8 (node build)
 * and Laravel Echo 2, with pusher-http-node for the HTTP API and channel auth signatures, and prints one line per
 * check. This test installs the npm packages in a copy of that folder under {@code target/js-compat} (so the source
 * tree stays clean; {@code node_modules} is reused while package.json and package-lock.json are unchanged), starts a
 * server, runs the program and asserts it exits 0. When the program asks for it, the server is stopped gracefully
 * and started again on the same port, to check 4200 handling and reconnection.
 *
 * <p>Skipped only when {@code node} or {@code npm} is not on the PATH. Needs the npm registry on the first run.
 */
class PusherJsCompatTest {

    private static final String APP_ID = "compat-app";
    private static final String KEY = "compat-key";
    private static final String SECRET = "compat-secret";

    /**
     * activity_timeout 2 s makes pusher-js ping after 2 s of silence; pong_timeout 2 s makes the server close node
     * clients quickly if their WebSocket stack did not answer its ping frames; a short grace period keeps the restart
     * quick. Subscription counts are on so that their check runs (the other checks must not mind the extra events).
     * The webhook goes to a receiver in compat.mjs, which checks it with pusher-http-node's {@code webhook()}.
     */
    private static final String CONFIG = """
            activity_timeout: 2
            pong_timeout: 2
            shutdown_grace_period: 3
            data_dir: %s
            apps:
              - id: %s
                key: %s
                secret: %s
                enable_client_messages: true
                enable_subscription_count: true
                webhooks:
                  - url: http://127.0.0.1:%d/webhook
                    event_types: [channel_occupied, member_added]
            """;

    private String config;

    private static final String RESTART_MARKER = "@@compat:restart-server";
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(150);
    private static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win");

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void pusherJsAndLaravelEchoWorkAgainstTheServer() throws Exception {
        assumeTrue(onPath("node"), "node is not on the PATH");
        assumeTrue(onPath("npm"), "npm is not on the PATH");

        Path work = dev.pushserver.testing.NodeProject.prepare("src/test/js", "js-compat");

        int webhookPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            webhookPort = s.getLocalPort();
        }
        config = CONFIG.formatted(work.resolve("hook-data"), APP_ID, KEY, SECRET, webhookPort);
        AtomicReference<PushServer> server = new AtomicReference<>(TestServer.start(config).server());
        int port = server.get().port();
        List<String> output = new ArrayList<>();
        try {
            ProcessBuilder pb = new ProcessBuilder(List.of(executable("node"), "compat.mjs"))
                    .directory(work.toFile())
                    .redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.put("PUSHER_HOST", "127.0.0.1");
            env.put("PUSHER_PORT", String.valueOf(port));
            env.put("PUSHER_API_PORT", String.valueOf(server.get().apiPort()));
            env.put("PUSHER_APP_ID", APP_ID);
            env.put("PUSHER_APP_KEY", KEY);
            env.put("PUSHER_APP_SECRET", SECRET);
            env.put("COMPAT_RESTART", "1");
            env.put("COMPAT_SUBSCRIPTION_COUNT", "1");
            env.put("COMPAT_WEBHOOK_PORT", String.valueOf(webhookPort));
            env.put("CI", "true");
            Process node = pb.start();
            node.getOutputStream().close(); // no stdin

            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        synchronized (output) {
                            output.add(line);
                        }
                        System.out.println("[compat.mjs] " + line);
                        if (line.equals(RESTART_MARKER)) {
                            // graceful stop (clients get 4200), then the same config on the same port
                            server.get().stop();
                            server.set(startOnPort(port));
                        }
                    }
                } catch (IOException e) {
                    synchronized (output) {
                        output.add("(reading the output failed: " + e + ")");
                    }
                } catch (RuntimeException e) {
                    synchronized (output) {
                        output.add("(restarting the server failed: " + e + ")");
                    }
                }
            }, "compat.mjs-output");
            reader.setDaemon(true);
            reader.start();

            boolean finished = node.waitFor(NODE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (!finished) {
                node.descendants().forEach(ProcessHandle::destroyForcibly);
                node.destroyForcibly();
            }
            reader.join(5_000);
            String all;
            synchronized (output) {
                all = String.join("\n", output);
            }
            assertThat(finished).as("compat.mjs did not finish within %s; output:%n%s", NODE_TIMEOUT, all).isTrue();
            assertThat(node.exitValue()).as("compat.mjs exit status; output:%n%s", all).isZero();
            // the two checks that skip themselves when not set up for them must have run
            assertThat(all).as("compat.mjs output")
                    .contains("PASS  ping:", "PASS  restart:", "PASS  subscription count:", "PASS  webhooks:");
        } finally {
            server.get().stop();
        }
    }

    /** Same config as {@link TestServer#start(String)}, but on a given port; retries the bind for a few seconds. */
    private PushServer startOnPort(int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                return PushServer.start(
                        ConfigLoader.fromYaml(config + "\nhost: 127.0.0.1\nport: " + port + "\n", Map.of()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    // ---- node project ------------------------------------------------------------------------------------------

    // ---- PATH lookup -------------------------------------------------------------------------------------------

    private static String executable(String name) {
        return WINDOWS && name.equals("npm") ? "npm.cmd" : name;
    }

    private static boolean onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        List<String> names = WINDOWS ? List.of(name + ".exe", name + ".cmd", name) : List.of(name);
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            for (String n : names) {
                Path candidate = Path.of(dir, n);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return true;
                }
            }
        }
        return false;
    }
}
