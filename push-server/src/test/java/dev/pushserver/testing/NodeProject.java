package dev.pushserver.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A node project of the tests (src/test/js, src/test/js-browser) made ready to run: its files copied under target/
 * and its packages installed there with npm ({@code ci} from the lockfile, else {@code install}), unless
 * node_modules was already installed from the same package.json and lockfile.
 */
public final class NodeProject {

    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
    private static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase().contains("win");

    private NodeProject() {
    }

    /** The push-server module's directory (Maven's basedir). */
    public static Path baseDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }

    /**
     * Copies {@code source} (relative to the module, e.g. {@code src/test/js}) to {@code target/<work>} and installs
     * its packages. Synchronized: two tests in one JVM must not run npm in the same directory at once.
     */
    public static synchronized Path prepare(String source, String work) throws Exception {
        Path from = baseDir().resolve(source);
        assertThat(from.resolve("package.json")).as("node project").exists();
        Path dir = baseDir().resolve("target").resolve(work);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, dir.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        boolean lockfile = Files.exists(dir.resolve("package-lock.json"));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(Files.readAllBytes(dir.resolve("package.json")));
        if (lockfile) {
            sha.update(Files.readAllBytes(dir.resolve("package-lock.json")));
        }
        String stamp = HexFormat.of().formatHex(sha.digest());
        Path stampFile = dir.resolve("node_modules/.push-server-stamp");
        if (Files.exists(stampFile) && Files.readString(stampFile).equals(stamp)) {
            return dir;
        }
        List<String> npm = List.of(WINDOWS ? "npm.cmd" : "npm", lockfile ? "ci" : "install", "--no-audit",
                "--no-fund", "--loglevel=error");
        Path log = dir.resolve("npm.log");
        ProcessBuilder pb = new ProcessBuilder(npm).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
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
        assertThat(done).as("%s did not finish within %s:%n%s", String.join(" ", npm), NPM_TIMEOUT, npmOutput)
                .isTrue();
        assertThat(p.exitValue()).as("%s failed:%n%s", String.join(" ", npm), npmOutput).isZero();
        Files.writeString(stampFile, stamp);
        return dir;
    }
}
