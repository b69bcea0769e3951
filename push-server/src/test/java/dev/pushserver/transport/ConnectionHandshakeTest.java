package dev.pushserver.transport;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.testing.ConnectionRecorder;
import dev.pushserver.testing.FrameSocket;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The WebSocket handshake as pusher-js and pusher-websocket-java see it (reference §1.1-1.6): the first message,
 * socket ids, accepted protocol versions and paths, and every rejection (upgrade completes, {@code pusher:error}
 * with the code, then a close frame with the same code).
 */
class ConnectionHandshakeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String APPS = apps(
            app(1, "enable_client_messages: true"),
            app(2),
            app(3, "enabled: false"),
            app(4, "max_connections: 2"));

    // ---- connection_established ---------------------------------------------------------------------------------

    @Test
    void firstMessageIsConnectionEstablishedWithStringDataHoldingSocketIdAndConfiguredActivityTimeout()
            throws Exception {
        try (TestServer server = TestServer.start(TestServer.DEFAULT_APPS + "activity_timeout: 42\n");
                RawClient client = RawClient.connect(server.wsUrl("key-1"))) {
            String first = client.next();
            assertThat(first).as("first message").isNotNull();
            JsonNode msg = JSON.readTree(first);
            assertThat(msg.path("event").asText()).isEqualTo("pusher:connection_established");
            JsonNode data = msg.get("data");
            assertThat(data).as("data").isNotNull();
            assertThat(data.isTextual()).as("data is a JSON-encoded string: %s", data).isTrue();
            JsonNode inner = JSON.readTree(data.asText());
            assertThat(inner.get("socket_id").isTextual()).as("socket_id is a string").isTrue();
            assertThat(inner.get("socket_id").asText()).matches("^\\d+\\.\\d+$");
            assertThat(inner.get("activity_timeout").isIntegralNumber()).as("activity_timeout is a number").isTrue();
            assertThat(inner.get("activity_timeout").asInt()).isEqualTo(42);
            // nothing else is sent unasked
            assertThat(client.next(300)).isNull();
        }
    }

    @Test
    void defaultActivityTimeoutIs120Seconds() throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("key-1"))) {
            JsonNode msg = client.nextEvent("pusher:connection_established");
            assertThat(JSON.readTree(msg.get("data").asText()).get("activity_timeout").asInt()).isEqualTo(120);
        }
    }

    @Test
    void socketIdsAreUniqueAcrossManyConnections() throws Exception {
        int n = 100;
        List<RawClient> clients = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (TestServer server = TestServer.start()) {
            List<CompletableFuture<String>> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String key = i % 2 == 0 ? "key-1" : "key-2";
                ids.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        RawClient c = RawClient.connect(server.wsUrl(key));
                        clients.add(c);
                        return c.socketId();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            Set<String> unique = new HashSet<>();
            for (CompletableFuture<String> id : ids) {
                String s = id.get(20, TimeUnit.SECONDS);
                assertThat(s).matches("^\\d+\\.\\d+$");
                unique.add(s);
            }
            assertThat(unique).as("distinct socket ids (across both apps)").hasSize(n);
        } finally {
            clients.forEach(RawClient::close);
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "protocol={0}")
    @ValueSource(ints = {4, 5, 6, 7})
    void supportedProtocolVersionsAreAccepted(int protocol) throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect("ws://127.0.0.1:" + server.port() + "/app/key-1?protocol="
                        + protocol)) {
            assertThat(client.socketId()).matches("^\\d+\\.\\d+$");
            assertThat(client.closeCode(0)).as("still open").isNull();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "/some/prefix/app/key-1?protocol=7",
            "/ws/app/key-1?protocol=7&client=js&version=8.6.0&flash=false",
            "/app/key-1?client=java-client&protocol=5&version=2.4.4",
            "/app/key-1?protocol=7"})
    void pathPrefixesAndClientQueryStringsAreAccepted(String target) throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect("ws://127.0.0.1:" + server.port() + target)) {
            assertThat(client.socketId()).matches("^\\d+\\.\\d+$");
        }
    }

    @Test
    void officialJavaClientConnectsWithProtocol5() throws Exception {
        try (TestServer server = TestServer.start()) {
            Pusher pusher = server.pusherClient("key-2");
            try {
                pusher.connect();
                Awaitility.await().atMost(Duration.ofSeconds(5))
                        .until(() -> pusher.getConnection().getState() == ConnectionState.CONNECTED);
                assertThat(pusher.getConnection().getSocketId()).matches("^\\d+\\.\\d+$");
            } finally {
                pusher.disconnect();
            }
        }
    }

    // ---- rejections -----------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "/app/no-such-key?protocol=7              | 4001",
            "/app/key-3?protocol=7                    | 4003",
            "/foo/key-1?protocol=7                    | 4005",
            "/app/?protocol=7                         | 4005",
            "/app/key-1/extra?protocol=7              | 4005",
            "/?protocol=7                             | 4005",
            "/app/key-1                               | 4008",
            "/app/key-1?protocol=                     | 4008",
            "/app/key-1?client=js&version=8.6.0       | 4008",
            "/app/key-1?protocol=abc                  | 4007",
            "/app/key-1?protocol=3                    | 4007",
            "/app/key-1?protocol=8                    | 4007",
            "/app/key-1?protocol=1                    | 4007",
            "/app/key-1?protocol=-7                   | 4007",
            "/app/key-1?protocol=99999999999999999999 | 4007",
            "/app/key-1?protocol=7&version=%3Cscript%3E | 4006",
            "/app/key-1?protocol=7&version=bad%20version | 4006"})
    void badRequestsCompleteTheUpgradeThenGetPusherErrorThenCloseWithTheSameCode(String target, int code)
            throws Exception {
        try (TestServer server = TestServer.start(APPS);
                FrameSocket ws = FrameSocket.open(server.port(), target, true, true)) {
            assertThat(ws.statusLine()).as("upgrade response").contains(" 101 ");
            assertThat(ws.closeCode(5_000)).as("close code").isEqualTo(code);
            List<String> transcript = ws.transcript();
            assertThat(transcript).as("error event, then close frame").hasSize(2);
            assertThat(transcript.get(0)).startsWith("text:");
            JsonNode error = JSON.readTree(transcript.get(0).substring(5));
            assertThat(error.path("event").asText()).isEqualTo("pusher:error");
            assertThat(error.path("data").path("code").isIntegralNumber()).as("numeric code: %s", error).isTrue();
            assertThat(error.path("data").path("code").asInt()).isEqualTo(code);
            assertThat(error.path("data").path("message").isTextual()).isTrue();
            assertThat(transcript.get(1)).isEqualTo("close:" + code);
            assertThat(ws.awaitEof(3_000)).as("server ends the TCP connection after the close handshake").isTrue();
            // the server is still fine
            try (RawClient ok = RawClient.connect(server.wsUrl("key-1"))) {
                assertThat(ok.socketId()).matches("^\\d+\\.\\d+$");
            }
        }
    }

    /**
     * A version parameter whose percent escapes cannot be decoded (no official client sends one) must still get the
     * Pusher answer, 4006, not a dropped TCP connection: pusher-js would see a transport failure and retry forever.
     */
    @Test
    void undecodableVersionParameterIsRejectedWith4006AfterTheUpgrade() throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), "/app/key-1?protocol=7&version=%%%bad", true, true)) {
            assertThat(ws.statusLine()).as("upgrade response").contains(" 101 ");
            assertThat(ws.closeCode(5_000)).as("close code").isEqualTo(4006);
            assertThat(ws.transcript()).hasSize(2);
            assertThat(JSON.readTree(ws.transcript().get(0).substring(5)).path("data").path("code").asInt())
                    .isEqualTo(4006);
        }
    }

    @Test
    void unknownKeyAsSeenByAStandardWebSocketClient() throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("nope"))) {
            JsonNode error = client.nextJson();
            assertThat(error.path("event").asText()).isEqualTo("pusher:error");
            assertThat(error.path("data").path("code").asInt()).isEqualTo(4001);
            assertThat(client.closeCode(5)).isEqualTo(4001);
        }
    }

    @Test
    void rejectionWithoutTheClientAnsweringTheCloseFrameStillEndsTheTcpConnection() throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), "/app/nope?protocol=7", false, false)) {
            assertThat(ws.closeCode(5_000)).isEqualTo(4001);
            assertThat(ws.awaitEof(5_000)).as("TCP connection dropped without a close reply").isTrue();
        }
    }

    @Test
    void overMaxConnectionsIsRejectedWith4100AndASlotFreesWhenAConnectionLeaves() throws Exception {
        List<RawClient> clients = new CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(APPS)) {
            RawClient a = RawClient.connect(server.wsUrl("key-4"));
            clients.add(a);
            RawClient b = RawClient.connect(server.wsUrl("key-4"));
            clients.add(b);
            a.socketId();
            b.socketId();
            try (RawClient c = RawClient.connect(server.wsUrl("key-4"))) {
                JsonNode error = c.nextJson();
                assertThat(error.path("event").asText()).isEqualTo("pusher:error");
                assertThat(error.path("data").path("code").isIntegralNumber()).isTrue();
                assertThat(error.path("data").path("code").asInt()).isEqualTo(4100);
                assertThat(c.closeCode(5)).isEqualTo(4100);
            }
            // rejected attempts must not use up slots
            for (int i = 0; i < 5; i++) {
                try (RawClient rejected = RawClient.connect(server.wsUrl("key-4"))) {
                    assertThat(rejected.closeCode(5)).isEqualTo(4100);
                }
            }
            // another app is not limited by app-4's quota
            try (RawClient other = RawClient.connect(server.wsUrl("key-1"))) {
                assertThat(other.socketId()).matches("^\\d+\\.\\d+$");
            }
            a.close();
            // the slot frees once the server has noticed that a is gone
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
                RawClient d = RawClient.connect(server.wsUrl("key-4"));
                clients.add(d);
                String first = d.next();
                if (first != null && first.contains("pusher:connection_established")) {
                    return true;
                }
                d.close();
                return false;
            });
            // and the quota still holds: exactly two (b and the new one)
            try (RawClient e = RawClient.connect(server.wsUrl("key-4"))) {
                assertThat(e.closeCode(5)).isEqualTo(4100);
            }
        } finally {
            clients.forEach(RawClient::close);
        }
    }

    @Test
    void concurrentConnectionsCannotOvershootMaxConnections() throws Exception {
        int attempts = 20;
        List<RawClient> clients = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(attempts);
        try (TestServer server = TestServer.start(APPS)) {
            List<CompletableFuture<String>> firsts = new ArrayList<>();
            for (int i = 0; i < attempts; i++) {
                firsts.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        RawClient c = RawClient.connect(server.wsUrl("key-4"));
                        clients.add(c);
                        return c.next();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            int established = 0;
            int rejected = 0;
            for (CompletableFuture<String> f : firsts) {
                String first = f.get(20, TimeUnit.SECONDS);
                if (first != null && first.contains("pusher:connection_established")) {
                    established++;
                } else if (first != null && first.contains("4100")) {
                    rejected++;
                }
            }
            assertThat(established).as("connections admitted with max_connections 2").isEqualTo(2);
            assertThat(rejected).as("connections rejected with 4100").isEqualTo(attempts - 2);
        } finally {
            clients.forEach(RawClient::close);
            pool.shutdownNow();
        }
    }

    @Test
    void officialJavaClientStaysDisconnectedAfter4001AndDoesNotReconnect() throws Exception {
        try (TestServer server = TestServer.start()) {
            Pusher pusher = server.pusherClient("no-such-key");
            ConnectionRecorder connection = new ConnectionRecorder();
            List<ConnectionState> states = connection.states();
            pusher.connect(connection, ConnectionState.ALL);
            try {
                Awaitility.await().atMost(Duration.ofSeconds(5))
                        .until(() -> states.contains(ConnectionState.DISCONNECTED));
                ConnectionRecorder.Error error = connection.nextError(10);
                assertThat(error).as("onError from pusher:error").isNotNull();
                assertThat(error.code()).as("onError from pusher:error: %s", error).isEqualTo("4001");
                // the Java client would retry after 1 s if it meant to; give it twice that
                Thread.sleep(2_000);
                assertThat(states).as("state changes").containsExactly(ConnectionState.CONNECTING,
                        ConnectionState.DISCONNECTING, ConnectionState.DISCONNECTED);
                assertThat(pusher.getConnection().getState()).isEqualTo(ConnectionState.DISCONNECTED);
            } finally {
                pusher.disconnect();
            }
        }
    }
}
