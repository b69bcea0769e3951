package dev.pushserver.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/push-server-train-aot makes an AOT cache on JDK 25+, and bin/push-server starts with it (the JVM maps it,
 * clients connect) while it is newer than the jar, and without it once the jar is newer. Needs a JDK 25+: the
 * {@code JDK25_HOME} environment variable, or one under /usr/lib/jvm; skipped (assumption) where there is none.
 */
@Timeout(300)
class AotTrainingIT {

    private static final Path ROOT = Path.of(System.getProperty("basedir", "."), "..").toAbsolutePath().normalize();
    private static final Path JAR = ROOT.resolve("push-server/target/push-server.jar");

    @TempDir
    Path dir;

    @Test
    void aTrainedCacheIsUsedByTheLauncherUntilTheJarIsNewer() throws Exception {
        Optional<Path> jdk = jdk25();
        assumeTrue(jdk.isPresent(), "no JDK 25+ (set JDK25_HOME)");
        Path java = jdk.get().resolve("bin/java");
        Path cache = dir.resolve("push-server.aot");

        Process train = process(List.of(ROOT.resolve("bin/push-server-train-aot").toString()), Map.of(
                "JAVA", java.toString(), "PUSH_SERVER_AOT", cache.toString(),
                "PUSH_AOT_TRAIN_PORT", Integer.toString(freePort()), "PUSH_AOT_TRAIN_SECONDS", "1"),
                dir.resolve("train.log"));
        assertThat(train.waitFor(240, TimeUnit.SECONDS)).as("training finished").isTrue();
        String trainLog = Files.readString(dir.resolve("train.log"));
        assertThat(train.exitValue()).as(trainLog).isZero();
        assertThat(trainLog).contains("AOT cache written: " + cache);
        assertThat(Files.size(cache)).isGreaterThan(1_000_000L);

        // the launcher passes it, the JVM maps it (not refused), and the server serves a WebSocket client
        int port = freePort();
        Process server = process(List.of(ROOT.resolve("bin/push-server").toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(port)), Map.of("JAVA", java.toString(), "PUSH_SERVER_AOT",
                cache.toString(), "JAVA_OPTS", "-Xlog:aot=info"), dir.resolve("server.log"));
        try {
            String established = connectionEstablished(port);
            assertThat(established).contains("pusher:connection_established");
            String args = ProcessHandle.of(server.pid()).flatMap(h -> h.info().arguments())
                    .map(a -> String.join(" ", a)).orElse("");
            assertThat(args).contains("-XX:AOTCache=" + cache);
            String log = Files.readString(dir.resolve("server.log"));
            assertThat(log).contains("Opened AOT cache").doesNotContain("Unable to use AOT cache");
        } finally {
            server.destroy();
            assertThat(server.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }

        // a jar rebuilt after the training: the cache is left out
        Files.setLastModifiedTime(cache,
                FileTime.fromMillis(Files.getLastModifiedTime(JAR).toMillis() - TimeUnit.HOURS.toMillis(1)));
        Process version = process(List.of(ROOT.resolve("bin/push-server").toString(), "--version"), Map.of(
                "JAVA", java.toString(), "PUSH_SERVER_AOT", cache.toString(), "JAVA_OPTS", "-Xlog:aot=info"),
                dir.resolve("version.log"));
        assertThat(version.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String versionLog = Files.readString(dir.resolve("version.log"));
        assertThat(version.exitValue()).as(versionLog).isZero();
        assertThat(versionLog).doesNotContain("Opened AOT cache");
    }

    /** The first message the server sends a new WebSocket connection to the default app. */
    private static String connectionEstablished(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            CompletableFuture<String> first = new CompletableFuture<>();
            try {
                WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(2))
                        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/app/app-key?protocol=7"),
                                new WebSocket.Listener() {
                                    @Override
                                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                                        first.complete(data.toString());
                                        return null;
                                    }
                                }).get(5, TimeUnit.SECONDS);
                String text = first.get(10, TimeUnit.SECONDS);
                ws.abort();
                return text;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    private Process process(List<String> command, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** JDK25_HOME, else a JDK 25+ under /usr/lib/jvm (its release file says so). */
    private static Optional<Path> jdk25() throws IOException {
        String env = System.getenv("JDK25_HOME");
        if (env != null && !env.isBlank()) {
            return Optional.of(Path.of(env));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")) && feature(h) >= 25).findFirst();
        }
    }

    private static int feature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
