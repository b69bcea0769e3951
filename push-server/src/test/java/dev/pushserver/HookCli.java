package dev.pushserver;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper for the hook tooling: runs {@code push-server hooks ...} in this JVM (capturing what it prints) or as a
 * real process, and produces hook events through a WebSocket client.
 */
final class HookCli {

    private HookCli() {
    }

    /** What a command run in this JVM returned and printed. */
    record Run(int exitCode, String out, String err) {

        /**
         * The JSON the command printed: the last stdout line that is a JSON object (log lines of a server running in
         * the same JVM may be printed around it).
         */
        JsonNode json() {
            String[] lines = out.split("\\R");
            for (int i = lines.length - 1; i >= 0; i--) {
                if (lines[i].startsWith("{")) {
                    try {
                        return RawClient.json().readTree(lines[i]);
                    } catch (IOException e) {
                        throw new AssertionError("not JSON: " + lines[i], e);
                    }
                }
            }
            throw new AssertionError("no JSON on stdout (exit " + exitCode + "); stdout:\n" + out + "\nstderr:\n"
                    + err);
        }

        /** queues.&lt;target&gt;.queued of a status, 0 when the target has no queue. */
        long queued(String target) {
            return json().path("queues").path(target).path("queued").asLong(0);
        }

        long deadLetters() {
            return json().path("dead_letters").asLong(-1);
        }
    }

    /**
     * Runs {@code Main} with these arguments in this JVM, capturing System.out / System.err and picocli's writers.
     * Only for commands that end on their own; a preemptive timeout turns a hang into a failure.
     */
    static synchronized Run run(String... args) {
        StringWriter picoOut = new StringWriter();
        StringWriter picoErr = new StringWriter();
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
        ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        int code;
        System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
        try {
            code = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                picocli.CommandLine cmd = new picocli.CommandLine(new Main());
                cmd.setOut(new PrintWriter(picoOut, true));
                cmd.setErr(new PrintWriter(picoErr, true));
                return cmd.execute(args);
            }, "push-server " + String.join(" ", args) + " did not return");
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        return new Run(code, picoOut + sysOut.toString(StandardCharsets.UTF_8),
                picoErr + sysErr.toString(StandardCharsets.UTF_8));
    }

    /** {@code push-server hooks <command...> --config file}, in this JVM. */
    static Run hooks(Path config, String... command) {
        List<String> args = new ArrayList<>();
        args.add("hooks");
        args.addAll(List.of(command));
        args.add("--config");
        args.add(config.toString());
        return run(args.toArray(String[]::new));
    }

    /** {@code java ... dev.pushserver.Main <args>} as a real process, stdout and stderr to their own files. */
    static Process process(Path stdout, Path stderr, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(GracefulStopTest.javaBinary(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", GracefulStopTest.testClassPath(), "dev.pushserver.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PUSH_"));
        return pb.start();
    }

    /**
     * Subscribes one client to the public channels {@code prefix0 .. prefix(n-1)} (each subscription confirmed), then
     * unsubscribes from all of them: a channel_occupied and a channel_vacated per channel. The vacated ones are
     * emitted once the server has read the unsubscribes, so callers wait for them to show up in the queue.
     */
    static void occupyAndVacate(String wsUrl, String prefix, int n) throws Exception {
        try (RawClient c = RawClient.connect(wsUrl)) {
            c.socketId();
            for (int i = 0; i < n; i++) {
                c.send(Messages.subscribe(prefix + i));
                JsonNode ok = c.nextEvent("pusher_internal:subscription_succeeded");
                if (!(prefix + i).equals(ok.path("channel").asText())) {
                    throw new AssertionError("subscription_succeeded for the wrong channel: " + ok);
                }
            }
            for (int i = 0; i < n; i++) {
                c.send(Messages.unsubscribe(prefix + i));
            }
            // one more round trip, so the unsubscribes above have been handled before the client goes
            c.send(Messages.PING);
            c.nextEvent("pusher:pong");
        }
    }
}
