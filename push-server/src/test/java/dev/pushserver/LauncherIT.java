package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.testing.ClusterNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command: bin/push-server starts the packaged jar with its JVM options, serves /health, passes
 * arguments through, and stops cleanly on SIGTERM.
 */
class LauncherIT {

    private static final Path LAUNCHER = Path.of(System.getProperty("basedir", "."), "..", "bin", "push-server")
            .normalize();

    @TempDir
    Path dir;

    @Test
    void theLauncherRunsTheServerWithItsOptionsAndStopsOnSigterm() throws Exception {
        assertThat(LAUNCHER).exists().isExecutable();
        int port = ClusterNodes.freePort();
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "--port", Integer.toString(port))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
        pb.environment().put("JAVA_OPTS", "-Xmx256m");
        Process p = pb.start();
        p.getOutputStream().close();
        try {
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int status = 0;
            while (System.nanoTime() < deadline && p.isAlive()) {
                try {
                    status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode();
                    if (status == 200) {
                        break;
                    }
                } catch (java.io.IOException e) {
                    Thread.sleep(200);
                }
            }
            assertThat(status).as("log:%n%s", Files.readString(dir.resolve("out.log"))).isEqualTo(200);
            // the JVM runs with the launcher's options, and JAVA_OPTS after them
            String args = ProcessHandle.of(p.pid()).flatMap(h -> h.info().arguments())
                    .map(a -> String.join(" ", a)).orElse("");
            assertThat(args).contains("-XX:+UseSerialGC", "-Xmn24m", "-Xmx256m", "--port " + port);
            p.destroy(); // SIGTERM: graceful stop
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(dir.resolve("out.log"))).contains("stopped");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aCollectorNamedInJavaOptsReplacesTheLaunchersOwn() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "--version").redirectErrorStream(true);
        pb.environment().put("JAVA_OPTS", "-XX:+UseG1GC -XX:+PrintCommandLineFlags");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("-XX:+UseG1GC").doesNotContain("UseSerialGC");
    }

    @Test
    void aMissingJarSaysHowToBuildIt() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString()).redirectErrorStream(true);
        pb.environment().put("PUSH_SERVER_JAR", dir.resolve("nope.jar").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(out).contains("nope.jar is missing", "mvn -B -q -DskipTests package");
    }
}
