package dev.pushserver.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pushserver.testing.AppsYaml;
import dev.pushserver.testing.SignedRequest;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo page and push.js in a real browser: {@code src/test/js-browser/demo.mjs} drives headless Chromium (the
 * Debian {@code chromium} package) with playwright-core. Two visitors join the presence channel and see each other,
 * exchange client events, and receive an event this test triggers through the signed HTTP API when the script prints
 * {@code @@browser:trigger}. A screenshot of the page with two members is saved as
 * {@code target/demo-two-members.png}.
 *
 * <p>Chromium is looked up as {@code $CHROMIUM}, {@code chromium} or {@code chromium-browser}; when it is missing the
 * test tries {@code apt-get install -y chromium} once (as root) and is skipped, saying so, only where that fails.
 * Needs node, npm and (on the first run) the npm registry, like {@link PusherJsCompatTest}.
 */
class BrowserDemoTest {

    private static final String APPS = AppsYaml.apps(AppsYaml.app(1, "enable_client_messages: true"));
    private static final String TRIGGER_MARKER = "@@browser:trigger";
    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(120);

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void twoVisitorsChatOnTheDemoPageInHeadlessChromium() throws Exception {
        assumeTrue(onPath("node") != null, "node is not on the PATH");
        assumeTrue(onPath("npm") != null, "npm is not on the PATH");
        String chromium = chromium();
        if (chromium == null) {
            String why = "BrowserDemoTest skipped: Chromium is not installed and could not be installed "
                    + "(apt-get install -y chromium failed or is not allowed here)";
            System.out.println(why);
            assumeTrue(false, why);
        }
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Path work = prepareNodeProject(base);
        Path screenshot = base.resolve("target/demo-two-members.png");
        Files.deleteIfExists(screenshot);

        try (TestServer server = TestServer.start(APPS + "demo: true\n")) {
            int port = server.port();
            ProcessBuilder pb = new ProcessBuilder(List.of("node", "demo.mjs")).directory(work.toFile())
                    .redirectErrorStream(true);
            pb.environment().put("DEMO_URL", "http://127.0.0.1:" + port + "/demo/");
            pb.environment().put("CHROMIUM", chromium);
            pb.environment().put("SCREENSHOT", screenshot.toString());
            Process node = pb.start();
            node.getOutputStream().close();
            List<String> output = new ArrayList<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        synchronized (output) {
                            output.add(line);
                        }
                        System.out.println("[demo.mjs] " + line);
                        if (line.equals(TRIGGER_MARKER)) {
                            SignedRequest.Response r = SignedRequest.post(server.apiPort(), "/apps/app-1/events",
                                    "{\"name\":\"announcement\",\"channels\":[\"demo\"],"
                                            + "\"data\":\"{\\\"text\\\":\\\"hello from the HTTP API\\\"}\"}")
                                    .credentials("key-1", "secret-1").send();
                            synchronized (output) {
                                output.add("(HTTP API trigger: " + r.status() + " " + r.body() + ")");
                            }
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    synchronized (output) {
                        output.add("(reader failed: " + e + ")");
                    }
                }
            }, "demo.mjs-output");
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
            assertThat(finished).as("demo.mjs did not finish within %s:%n%s", NODE_TIMEOUT, all).isTrue();
            assertThat(node.exitValue()).as("demo.mjs exit status:%n%s", all).isZero();
            assertThat(all).contains("PASS  presence: both visitors see both members",
                    "PASS  an event triggered through the HTTP API reaches both pages", "ALL PASSED");
            assertThat(screenshot).exists();
            assertThat(Files.size(screenshot)).isGreaterThan(1000);
        }
    }

    /** $CHROMIUM, or chromium / chromium-browser on the PATH; tries apt-get once when neither is there. */
    private static String chromium() throws Exception {
        String env = System.getenv("CHROMIUM");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return env;
        }
        for (String name : List.of("chromium", "chromium-browser")) {
            Path p = onPath(name);
            if (p != null) {
                return p.toString();
            }
        }
        if (onPath("apt-get") != null && "root".equals(System.getProperty("user.name"))) {
            Process p = new ProcessBuilder("sh", "-c", "apt-get update && apt-get install -y chromium")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0 && onPath("chromium") != null) {
                return onPath("chromium").toString();
            }
            p.destroyForcibly();
        }
        return null;
    }

    /** Copies src/test/js-browser to target/js-browser and runs npm ci there unless already done for this lockfile. */
    private static Path prepareNodeProject(Path base) throws Exception {
        Path source = base.resolve("src/test/js-browser");
        Path work = base.resolve("target/js-browser");
        Files.createDirectories(work);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, work.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(Files.readAllBytes(work.resolve("package.json")));
        sha.update(Files.readAllBytes(work.resolve("package-lock.json")));
        String stamp = HexFormat.of().formatHex(sha.digest());
        Path stampFile = work.resolve("node_modules/.push-server-browser-stamp");
        if (Files.exists(stampFile) && Files.readString(stampFile).equals(stamp)) {
            return work;
        }
        Path log = work.resolve("npm.log");
        ProcessBuilder pb = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("CI", "true");
        pb.environment().put("npm_config_update_notifier", "false");
        Process p = pb.start();
        p.getOutputStream().close();
        boolean done = p.waitFor(NPM_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String npmOutput = Files.exists(log) ? Files.readString(log) : "";
        assertThat(done).as("npm ci did not finish within %s:%n%s", NPM_TIMEOUT, npmOutput).isTrue();
        assertThat(p.exitValue()).as("npm ci failed:%n%s", npmOutput).isZero();
        Files.writeString(stampFile, stamp);
        return work;
    }

    private static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
