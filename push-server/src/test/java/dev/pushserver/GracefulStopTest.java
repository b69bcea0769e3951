package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.testing.ClusterNodes;
import dev.pushserver.testing.ConnectionRecorder;
import dev.pushserver.testing.FrameSocket;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Graceful stop (reference §1.8): every client is told to reconnect (pusher:error 4200, then close 4200), the stop
 * finishes within {@code shutdown_grace_period}, and a real SIGTERM does the same and ends the process.
 */
class GracefulStopTest {

    @Test
    void stopTellsEveryClientOfEveryAppToReconnectWith4200() throws Exception {
        TestServer server = TestServer.start();
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                RawClient c = RawClient.connect(server.wsUrl(i % 2 == 0 ? "key-1" : "key-2"));
                clients.add(c);
                c.socketId();
            }
            // one of them subscribed, to be sure channel state does not get in the way
            clients.get(0).send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"news\"}}");
            clients.get(0).nextEvent("pusher_internal:subscription_succeeded");

            long start = System.nanoTime();
            server.close();
            long stopMs = (System.nanoTime() - start) / 1_000_000;

            for (RawClient c : clients) {
                JsonNode error = c.nextEvent("pusher:error");
                assertThat(error.path("data").path("code").isIntegralNumber()).isTrue();
                assertThat(error.path("data").path("code").asInt()).isEqualTo(4200);
                assertThat(error.path("data").path("message").isTextual()).isTrue();
                assertThat(c.closeCode(5)).isEqualTo(4200);
            }
            // clients answer the close at once, so the stop does not need the 10 s grace period
            assertThat(stopMs).as("stop duration (ms)").isLessThan(5_000);
            // and nothing listens any more
            assertThatThrownBy(() -> new Socket("127.0.0.1", server.port()).close()).isInstanceOf(IOException.class);
        } finally {
            clients.forEach(RawClient::close);
            server.close();
        }
    }

    @Test
    void stopReturnsWithinTheGracePeriodEvenWhenClientsIgnoreTheCloseFrame() throws Exception {
        TestServer server = TestServer.start(TestServer.DEFAULT_APPS + "shutdown_grace_period: 1\n");
        List<FrameSocket> stubborn = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                FrameSocket ws = FrameSocket.open(server.port(), "/app/key-1?protocol=7", true, false);
                stubborn.add(ws);
                assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            }
            long start = System.nanoTime();
            server.close();
            long stopMs = (System.nanoTime() - start) / 1_000_000;
            // grace period 1 s, plus the event loops' own shutdown
            assertThat(stopMs).as("stop duration (ms)").isLessThan(4_000);
            for (FrameSocket ws : stubborn) {
                assertThat(ws.closeCode(2_000)).isEqualTo(4200);
                assertThat(ws.awaitEof(3_000)).as("connection dropped").isTrue();
            }
        } finally {
            stubborn.forEach(FrameSocket::close);
            server.close();
        }
    }

    /**
     * The official Java client reconnects after a 4200 (unlike 40xx), and a server restarted on the same port right
     * away (as a supervisor would do) takes it back.
     */
    @Test
    void officialJavaClientReconnectsToAServerRestartedOnTheSamePort() throws Exception {
        PushServer first = PushServer.start(ConfigLoader.fromYaml(TestServer.DEFAULT_APPS
                + "host: 127.0.0.1\nport: 0\n", Map.of()));
        PushServer second = null;
        int port = first.port();
        // retry every second (default: 1, 4, 9 ... s) so the test does not wait for a late attempt
        Pusher pusher = new Pusher("key-1", TestServer.clientOptions(port).setMaxReconnectGapInSeconds(1));
        ConnectionRecorder connection = new ConnectionRecorder();
        List<ConnectionState> states = connection.states();
        pusher.connect(connection, ConnectionState.ALL);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> pusher.getConnection().getState() == ConnectionState.CONNECTED);
            String firstSocketId = pusher.getConnection().getSocketId();
            first.stop();
            ConnectionRecorder.Error error = connection.nextError(5);
            assertThat(error).as("onError from pusher:error").isNotNull();
            assertThat(error.code()).as("onError from pusher:error: %s", error).isEqualTo("4200");
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> states.contains(ConnectionState.RECONNECTING));
            assertThat(states).as("4200 must not make the client give up").doesNotContain(ConnectionState.DISCONNECTED);

            second = PushServer.start(ConfigLoader.fromYaml(TestServer.DEFAULT_APPS
                    + "host: 127.0.0.1\nport: " + port + "\n", Map.of()));
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> pusher.getConnection().getState() == ConnectionState.CONNECTED
                            && !firstSocketId.equals(pusher.getConnection().getSocketId()));
            assertThat(pusher.getConnection().getSocketId()).matches("^\\d+\\.\\d+$");
        } finally {
            pusher.disconnect();
            first.stop();
            if (second != null) {
                second.stop();
            }
        }
    }

    // ---- a real process and a real SIGTERM -----------------------------------------------------------------------

    @Test
    void sigtermSends4200ToClientsAndExits() throws Exception {
        int port = freePort();
        Path log = Files.createTempFile("push-server-sigterm", ".log");
        Process process = startServerProcess(port, Map.of("PUSH_SHUTDOWN_GRACE_PERIOD", "5"), log);
        RawClient client = null;
        try {
            awaitListening(process, port, log);
            client = RawClient.connect("ws://127.0.0.1:" + port + "/app/app-key?protocol=7&client=js&version=8.6.0");
            assertThat(client.socketId()).matches("^\\d+\\.\\d+$");

            long start = System.nanoTime();
            process.destroy(); // SIGTERM
            JsonNode error = client.nextEvent("pusher:error");
            assertThat(error.path("data").path("code").asInt()).isEqualTo(4200);
            assertThat(client.closeCode(10)).isEqualTo(4200);
            assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("process exits after SIGTERM").isTrue();
            long exitMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(process.exitValue()).as("exit code; log:%n%s", Files.readString(log)).isIn(0, 143);
            assertThat(exitMs).as("time from SIGTERM to exit (ms)").isLessThan(15_000);
            assertThat(Files.readString(log)).as("no stack traces during the stop").doesNotContain("Exception");
        } finally {
            if (client != null) {
                client.close();
            }
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    static Process startServerProcess(int port, Map<String, String> env, Path log, String... extraArgs)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", testClassPath(), "dev.pushserver.Main", "--port", String.valueOf(port)));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PUSH_"));
        pb.environment().putAll(env);
        return pb.start();
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String testClassPath() {
        return ClusterNodes.testClassPath();
    }

    static int freePort() throws IOException {
        return ClusterNodes.freePort();
    }

    static void awaitListening(Process process, int port, Path log) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("server process exited with " + process.exitValue() + ":\n"
                        + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }
}
