package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pusher.client.Pusher;
import com.pusher.client.PusherOptions;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.testing.ConnectionRecorder;
import dev.pushserver.testing.FrameSocket;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keeping connections alive and detecting dead ones (reference §1.7): {@code pusher:ping} events are answered with
 * {@code pusher:pong}; after {@code activity_timeout} of silence the server sends a WebSocket ping frame and closes
 * with 4201 if nothing at all arrives within {@code pong_timeout}. Timeouts are 1 s here.
 */
class LivenessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FAST = TestServer.DEFAULT_APPS + "activity_timeout: 1\npong_timeout: 1\n";
    private static final String PATH = "/app/key-1?protocol=7&client=js&version=8.6.0";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "{\"event\":\"pusher:ping\",\"data\":{}}",     // pusher-js
            "{\"event\": \"pusher:ping\"}",                // pusher-websocket-java: no data at all
            "{\"event\":\"pusher:ping\",\"data\":\"{}\"}", // data as a JSON string
            "{\"event\":\"pusher:ping\",\"data\":null}"})
    void pusherPingIsAnsweredWithPusherPongCarryingData(String ping) throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("key-1"))) {
            client.socketId();
            client.send(ping);
            JsonNode pong = client.nextJson();
            assertThat(pong.path("event").asText()).isEqualTo("pusher:pong");
            assertThat(pong.has("data")).as("pong has data (the Java client throws without it): %s", pong).isTrue();
            assertThat(pong.get("data").isNull()).isFalse();
            // and again: pings are not one-shot
            client.send(ping);
            assertThat(client.nextJson().path("event").asText()).isEqualTo("pusher:pong");
        }
    }

    @Test
    void officialJavaClientWithShortActivityTimeoutStaysConnectedThanksToPongs() throws Exception {
        try (TestServer server = TestServer.start()) { // server pings only after 120 s: only the client pings here
            PusherOptions options = TestServer.clientOptions(server.port()).setActivityTimeout(1_000).setPongTimeout(1_000);
            Pusher pusher = new Pusher("key-1", options);
            ConnectionRecorder connection = new ConnectionRecorder();
            List<ConnectionState> states = connection.states();
            pusher.connect(connection, ConnectionState.ALL);
            try {
                Awaitility.await().atMost(Duration.ofSeconds(5))
                        .until(() -> pusher.getConnection().getState() == ConnectionState.CONNECTED);
                // the client pings after 1 s of silence and reconnects if no message follows within 1 s
                Thread.sleep(2_500);
                assertThat(states).containsExactly(ConnectionState.CONNECTING, ConnectionState.CONNECTED);
            } finally {
                pusher.disconnect();
            }
        }
    }

    @Test
    void serverSendsPingFramesAfterSilenceAndClientsThatAnswerStayConnected() throws Exception {
        try (TestServer server = TestServer.start(FAST);
                RawClient client = RawClient.connect(server.wsUrl("key-1")); // the JDK client answers pings
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true)) {
            client.socketId();
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            Awaitility.await().atMost(Duration.ofSeconds(6))
                    .until(() -> client.pingsReceived() >= 2 && ws.pingsReceived() >= 2);
            assertThat(client.closeCode(0)).as("JDK client still open after two ping rounds").isNull();
            assertThat(ws.closeCode(0)).as("raw client still open after two ping rounds").isNull();
            client.send("{\"event\":\"pusher:ping\",\"data\":{}}");
            assertThat(client.nextEvent("pusher:pong")).isNotNull();
        }
    }

    /**
     * Silent and answering clients interleaved on the same loops: one sweep closes several connections from the
     * middle of its list, and every silent one is closed while every answering one stays.
     */
    @Test
    void amongManyClientsOnlyTheSilentOnesAreClosed() throws Exception {
        List<FrameSocket> silent = new java.util.ArrayList<>();
        List<FrameSocket> answering = new java.util.ArrayList<>();
        try (TestServer server = TestServer.start(FAST)) {
            try {
                for (int i = 0; i < 24; i++) {
                    boolean answers = i % 3 == 1;
                    FrameSocket ws = FrameSocket.open(server.port(), PATH, answers, true);
                    assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
                    (answers ? answering : silent).add(ws);
                }
                for (FrameSocket ws : silent) {
                    assertThat(ws.closeCode(8_000)).as("silent client closed").isEqualTo(4201);
                }
                Awaitility.await().atMost(Duration.ofSeconds(6))
                        .until(() -> answering.stream().allMatch(ws -> ws.pingsReceived() >= 2));
                for (FrameSocket ws : answering) {
                    assertThat(ws.closeCode(0)).as("answering client still open").isNull();
                }
                // a connection made after the closes is watched too
                try (FrameSocket late = FrameSocket.open(server.port(), PATH, false, false)) {
                    assertThat(late.nextContaining("connection_established", 5_000)).isNotNull();
                    assertThat(late.closeCode(8_000)).isEqualTo(4201);
                }
            } finally {
                silent.forEach(FrameSocket::close);
                answering.forEach(FrameSocket::close);
            }
        }
    }

    @Test
    void clientThatNeverAnswersPingFramesIsClosedWith4201AfterPongTimeout() throws Exception {
        try (TestServer server = TestServer.start(FAST);
                FrameSocket ws = FrameSocket.open(server.port(), PATH, false, false)) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            long start = System.nanoTime();
            Integer code = ws.closeCode(6_000);
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(code).as("close code").isEqualTo(4201);
            assertThat(ws.pingsReceived()).as("a ping frame came first").isGreaterThanOrEqualTo(1);
            // activity_timeout (1 s) + pong_timeout (1 s), give or take the sweep period
            assertThat(elapsedMs).as("closed after activity_timeout + pong_timeout").isBetween(1_700L, 5_000L);
            List<String> transcript = ws.transcript();
            assertThat(transcript.get(transcript.size() - 1)).isEqualTo("close:4201");
            JsonNode error = JSON.readTree(transcript.get(transcript.size() - 2).substring("text:".length()));
            assertThat(error.path("event").asText()).isEqualTo("pusher:error");
            assertThat(error.path("data").path("code").isIntegralNumber()).isTrue();
            assertThat(error.path("data").path("code").asInt()).isEqualTo(4201);
            assertThat(ws.awaitEof(4_000)).as("TCP connection dropped although the client never answers the close")
                    .isTrue();
            // the server is fine
            try (RawClient other = RawClient.connect(server.wsUrl("key-1"))) {
                assertThat(other.socketId()).matches("^\\d+\\.\\d+$");
            }
        }
    }

    /** Any inbound frame counts as activity: a client that keeps talking is never pinged, let alone closed. */
    @Test
    void anyInboundFrameCountsAsActivity() throws Exception {
        int[] opcodes = {FrameSocket.OP_TEXT, FrameSocket.OP_PONG, FrameSocket.OP_PING};
        String[] names = {"text", "pong", "ping"};
        byte[] text = "{\"event\":\"pusher:pong\",\"data\":{}}".getBytes(StandardCharsets.UTF_8);
        try (TestServer server = TestServer.start(FAST)) {
            FrameSocket[] sockets = new FrameSocket[opcodes.length];
            try {
                for (int i = 0; i < opcodes.length; i++) {
                    sockets[i] = FrameSocket.open(server.port(), PATH, false, true);
                    assertThat(sockets[i].nextContaining("connection_established", 5_000)).isNotNull();
                }
                long end = System.currentTimeMillis() + 2_300;
                while (System.currentTimeMillis() < end) {
                    for (int i = 0; i < opcodes.length; i++) {
                        sockets[i].sendFrame(opcodes[i], opcodes[i] == FrameSocket.OP_TEXT ? text : new byte[0]);
                    }
                    Thread.sleep(250);
                }
                for (int i = 0; i < opcodes.length; i++) {
                    assertThat(sockets[i].pingsReceived()).as("ping frames for a client sending %s frames", names[i])
                            .isZero();
                    assertThat(sockets[i].closeCode(0)).as("client sending %s frames still open", names[i]).isNull();
                }
                assertThat(sockets[2].pongsReceived()).as("client ping frames are answered with pong frames")
                        .isGreaterThan(0);
            } finally {
                for (FrameSocket s : sockets) {
                    if (s != null) {
                        s.close();
                    }
                }
            }
        }
    }

    @Test
    void aTextMessageAfterAPingFrameCountsAsTheAnswer() throws Exception {
        try (TestServer server = TestServer.start(FAST);
                FrameSocket ws = FrameSocket.open(server.port(), PATH, false, true)) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            for (int round = 1; round <= 2; round++) {
                int expected = round;
                Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20))
                        .until(() -> ws.pingsReceived() >= expected);
                ws.sendText("{\"event\":\"pusher:ping\",\"data\":{}}"); // not a pong frame
                assertThat(ws.nextContaining("pusher:pong", 2_000)).isNotNull();
            }
            assertThat(ws.closeCode(0)).as("still open").isNull();
        }
    }
}
