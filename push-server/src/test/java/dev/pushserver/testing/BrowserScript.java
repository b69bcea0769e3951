package dev.pushserver.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Runs a script of {@code src/test/js-browser} (playwright-core driving headless Chromium, the Debian
 * {@code chromium} package) and collects what it prints. The script can ask the test to act by printing a line
 * starting with {@code @@}: {@code onMarker} runs for it and what it returns is added to the output.
 *
 * <p>Chromium is looked up as {@code $CHROMIUM}, {@code chromium} or {@code chromium-browser}; when it is missing
 * {@link #chromium} tries {@code apt-get install -y chromium} once (as root) and the test is skipped, saying so, only
 * where that fails. Needs node, npm and (on the first run) the npm registry.
 */
public final class BrowserScript {


    /** What the script printed (with the answers to its markers) and how it ended. */
    public record Result(boolean finished, int exitValue, String output) {
    }

    private BrowserScript() {
    }

    /** Skips the calling test (saying why) unless node, npm and Chromium are there; returns Chromium's path. */
    public static String requireBrowser(String testName) throws Exception {
        assumeTrue(onPath("node") != null, "node is not on the PATH");
        assumeTrue(onPath("npm") != null, "npm is not on the PATH");
        String chromium = chromium();
        if (chromium == null) {
            String why = testName + " skipped: Chromium is not installed and could not be installed "
                    + "(apt-get install -y chromium failed or is not allowed here)";
            System.out.println(why);
            assumeTrue(false, why);
        }
        return chromium;
    }

    /** push-server's module directory (where target/ is). */
    public static Path baseDir() {
        return NodeProject.baseDir();
    }

    /**
     * Runs {@code node script} in the prepared node project with {@code env} added, for at most {@code timeout};
     * a script still running then is killed ({@link Result#finished} false).
     */
    public static Result run(String script, Map<String, String> env, Duration timeout,
            Function<String, String> onMarker) throws Exception {
        Path work = NodeProject.prepare("src/test/js-browser", "js-browser");
        ProcessBuilder pb = new ProcessBuilder(List.of("node", script)).directory(work.toFile())
                .redirectErrorStream(true);
        pb.environment().putAll(env);
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
                    System.out.println("[" + script + "] " + line);
                    if (line.startsWith("@@") && onMarker != null) {
                        String answer = onMarker.apply(line);
                        if (answer != null) {
                            synchronized (output) {
                                output.add(answer);
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                synchronized (output) {
                    output.add("(reader failed: " + e + ")");
                }
            }
        }, script + "-output");
        reader.setDaemon(true);
        reader.start();
        boolean finished = node.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
        }
        reader.join(5_000);
        synchronized (output) {
            return new Result(finished, finished ? node.exitValue() : -1, String.join("\n", output));
        }
    }

    /** $CHROMIUM, or chromium / chromium-browser on the PATH; tries apt-get once when neither is there. */
    public static String chromium() throws Exception {
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


    static Path onPath(String name) {
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
