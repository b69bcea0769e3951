package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.Signing;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The command line: help and version, exit code 2 with a message naming the key for any invalid configuration,
 * and environment overrides on a real process.
 */
class CliTest {

    @TempDir
    Path dir;

    /** Result of running {@link Main} in-process through picocli, as {@code main} would (minus System.exit). */
    record Run(int exitCode, String out, String err) {
    }

    /**
     * Runs Main in this JVM. Only for invocations that must end on their own (help, version, invalid config); a
     * preemptive timeout turns an unexpectedly started server into a failure instead of a hang.
     */
    static Run runInProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter picoErr = new StringWriter();
        ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        int code;
        System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
        try {
            code = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                CommandLine cmd = new CommandLine(new Main());
                cmd.setOut(new PrintWriter(out, true));
                cmd.setErr(new PrintWriter(picoErr, true));
                return cmd.execute(args);
            }, "Main did not return: did it start a server although the arguments are invalid?");
        } finally {
            System.setErr(originalErr);
        }
        return new Run(code, out.toString(), picoErr + sysErr.toString(StandardCharsets.UTF_8));
    }

    // ---- help and version ---------------------------------------------------------------------------------------

    @Test
    void helpListsTheOptionsAndExitsZero() {
        for (String flag : List.of("--help", "-h")) {
            Run run = runInProcess(flag);
            assertThat(run.exitCode()).as(flag).isZero();
            assertThat(run.out()).contains("--config", "--port", "--host", "--version", "PUSH_");
        }
    }

    @Test
    void versionPrintsTheBuildVersionAndExitsZero() {
        for (String flag : List.of("--version", "-V")) {
            Run run = runInProcess(flag);
            assertThat(run.exitCode()).as(flag).isZero();
            assertThat(run.out().trim()).as("version line").matches("push-server \\d+\\.\\d+\\.\\d+\\S*");
        }
    }

    @Test
    void unknownOptionIsAUsageErrorWithExitCode2() {
        Run run = runInProcess("--bogus");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--bogus");
    }

    @Test
    void nonNumericPortOptionIsAUsageErrorWithExitCode2() {
        Run run = runInProcess("--port", "abc");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--port").contains("abc");
    }

    @Test
    void outOfRangePortOptionIsRejectedNamingTheKey() {
        Run run = runInProcess("--port", "70000");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("port").contains("70000");
    }

    // ---- invalid configuration files ----------------------------------------------------------------------------

    private static final String GOOD_APP = "apps:\n  - id: a1\n    key: k1\n    secret: s1\n";

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "port: abc                                                   | port",
            "port: 6001.5                                                | port",
            "activity_timeout: 0                                         | activity_timeout",
            "max_frame_size: lots                                        | max_frame_size",
            "colour: blue                                                | colour",
            "apps: []                                                    | apps",
            "apps:\\n  - id: a1\\n    key: k1\\n    secret: s1\\n    max_connections: -1 | apps[0].max_connections",
            "apps:\\n  - id: a1\\n    key: k1\\n    secret: s1\\n    colour: blue | apps[0].colour",
            "apps:\\n  - id: a1\\n    key: k1\\n    secret: s1\\n    enabled: maybe | apps[0].enabled",
            "apps:\\n  - id: a1\\n    key: k1                               | apps[0].secret",
            "apps:\\n  - id: a1\\n    key: k 1\\n    secret: s1              | apps[0].key",
            "apps:\\n  - {id: a1, key: k1, secret: s1}\\n  - {id: a2, key: k1, secret: s2} | apps[1].key",
            "apps:\\n  - {id: a1, key: k1, secret: s1}\\n  - {id: a1, key: k2, secret: s2} | apps[1].id"})
    void invalidConfigFileExitsWith2AndNamesTheKey(String yaml, String key) throws Exception {
        Path file = dir.resolve("bad.yaml");
        String text = yaml.replace("\\n", "\n");
        if (!text.contains("apps")) {
            text = text + "\n" + GOOD_APP;
        }
        if (!text.contains("port:")) {
            text = text + "\nport: 0\n"; // should validation wrongly pass, the server must not take a fixed port
        }
        Files.writeString(file, text);
        Run run = runInProcess("--config", file.toString());
        assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isEqualTo(2);
        assertThat(run.err()).contains("invalid configuration").contains(key);
    }

    @Test
    void unparsableYamlExitsWith2() throws Exception {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, "port: [6001\napps: {");
        Run run = runInProcess("--config", file.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("invalid configuration").contains(file.toString());
    }

    @Test
    void missingConfigFileExitsWith2NamingTheFile() {
        Path missing = dir.resolve("no-such-config.yaml");
        Run run = runInProcess("--config", missing.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains(missing.toString());
    }

    // ---- real processes -------------------------------------------------------------------------------------------

    @Test
    void realProcessWithInvalidConfigExitsWith2AndExplainsOnStderr() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "port: abc\n" + GOOD_APP);
        Path stdout = dir.resolve("out.log");
        Path stderr = dir.resolve("err.log");
        Process p = new ProcessBuilder(GracefulStopTest.javaBinary(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", GracefulStopTest.testClassPath(),
                "dev.pushserver.Main", "--config", file.toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("process ends on its own").isTrue();
            assertThat(p.exitValue()).isEqualTo(2);
            assertThat(Files.readString(stderr)).contains("invalid configuration").contains("port").contains("abc");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void withNoAppConfiguredTheDevAppIsPrintedWithItsSecret() throws Exception {
        int port = GracefulStopTest.freePort();
        Path log = dir.resolve("dev.log");
        Process p = GracefulStopTest.startServerProcess(port, Map.of(), log);
        try {
            GracefulStopTest.awaitListening(p, port, log);
            // the apps are announced right after the port is bound
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("app id="));
            assertThat(Files.readString(log)).contains("app id=app-id key=app-key secret=app-secret");
        } finally {
            p.destroy();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void anAppFromTheEnvironmentReplacesTheDevAppItsSecretIsNotLoggedAndUnknownVariablesAreWarnedAbout()
            throws Exception {
        int port = GracefulStopTest.freePort();
        Path log = dir.resolve("server.log");
        Process p = GracefulStopTest.startServerProcess(port, Map.of("PUSH_APPS_0_ID", "env-id",
                "PUSH_APPS_0_KEY", "env-key", "PUSH_APPS_0_SECRET", "env-very-secret-value",
                "PUSH_ACTIVITY_TIMEOUT", "33", "PUSH_NO_SUCH_THING", "1"), log);
        List<RawClient> clients = new ArrayList<>();
        try {
            GracefulStopTest.awaitListening(p, port, log);
            RawClient ok = RawClient.connect("ws://127.0.0.1:" + port + "/app/env-key?protocol=7");
            clients.add(ok);
            String established = ok.next();
            assertThat(established).as("connection with the key from PUSH_APPS_0_KEY").contains(
                    "pusher:connection_established").contains("activity_timeout\\\":33");
            RawClient old = RawClient.connect("ws://127.0.0.1:" + port + "/app/app-key?protocol=7");
            clients.add(old);
            assertThat(old.closeCode(5)).as("the default key is gone").isEqualTo(4001);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("app id="));
            String printed = Files.readString(log);
            assertThat(printed).as("warning about the unknown variable").contains("PUSH_NO_SUCH_THING");
            assertThat(printed).as("the configured app is announced").contains("app id=env-id key=env-key");
            assertThat(printed).as("a configured secret is never logged").doesNotContain("env-very-secret-value");
            // a configured app has the normal defaults, not the dev app's: client events are off
            com.fasterxml.jackson.databind.ObjectMapper json = RawClient.json();
            String socketId = json.readTree(json.readTree(established).get("data").asText()).get("socket_id").asText();
            String auth = "env-key:" + Signing.hmacSha256Hex("env-very-secret-value", socketId + ":private-x");
            ok.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"private-x\",\"auth\":\"" + auth + "\"}}");
            assertThat(ok.next()).contains("subscription_succeeded");
            ok.send("{\"event\":\"client-x\",\"channel\":\"private-x\",\"data\":{}}");
            assertThat(ok.next()).contains("pusher:error").contains("not enabled");
        } finally {
            clients.forEach(RawClient::close);
            p.destroy();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
