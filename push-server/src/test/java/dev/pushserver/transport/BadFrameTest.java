package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pushserver.testing.FrameSocket;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input from a client gets a well-formed {@code pusher:error} (code a number or null, message a string) and
 * leaves that connection usable and every other client unaffected; frames the WebSocket layer cannot accept
 * (too big, invalid UTF-8, protocol violations) close only the offending connection, with the RFC 6455 code.
 */
class BadFrameTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PING = "{\"event\":\"pusher:ping\",\"data\":{}}";
    private static final String PATH = "/app/key-1?protocol=7&client=js&version=8.6.0";

    /** The Java client does {@code Math.round((Double) code)} and casts {@code message} to String. */
    static void assertWellFormedError(JsonNode error) {
        assertThat(error.path("event").asText()).isEqualTo("pusher:error");
        JsonNode data = error.get("data");
        assertThat(data).as("data of %s", error).isNotNull();
        assertThat(data.isObject()).as("data is an object: %s", error).isTrue();
        assertThat(data.has("code")).as("data.code present: %s", error).isTrue();
        assertThat(data.get("code").isNumber() || data.get("code").isNull()).as("data.code number or null: %s", error)
                .isTrue();
        assertThat(data.path("message").isTextual()).as("data.message is a string: %s", error).isTrue();
        assertThat(data.path("message").asText()).isNotBlank();
    }

    private static void assertUsable(RawClient client) throws Exception {
        client.send(PING);
        assertThat(client.nextEvent("pusher:pong")).isNotNull();
        assertThat(client.closeCode(0)).as("still open").isNull();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "{\"event\":",
            "not json at all",
            "{\"event\":\"pusher:ping\",}",
            "",
            " ",
            "[1,2,3]",
            "[{\"event\":\"pusher:ping\"}]",
            "\"pusher:ping\"",
            "42",
            "null",
            "true",
            "{}",
            "{\"data\":{}}",
            "{\"event\":42,\"data\":{}}",
            "{\"event\":null,\"data\":{}}",
            "{\"event\":{\"name\":\"pusher:ping\"}}",
            "{\"event\":[\"pusher:ping\"]}",
            "{\"event\":\"\"}",
            "{\"event\":\"pusher:foo\",\"data\":{}}",
            "{\"event\":\"pusher_internal:subscription_succeeded\",\"channel\":\"news\",\"data\":\"{}\"}",
            "{\"event\":\"hello\",\"data\":{}}",
            "{\"event\":\"hello\",\"channel\":\"private-x\",\"data\":{}}",
            "{\"event\":\"pusher:subscribe\"}",
            "{\"event\":\"pusher:subscribe\",\"data\":null}",
            "{\"event\":\"pusher:subscribe\",\"data\":{}}",
            "{\"event\":\"pusher:subscribe\",\"data\":{\"auth\":\"\"}}",
            "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":42}}",
            "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":null}}",
            "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":[\"news\"]}}",
            "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":{\"name\":\"news\"}}}",
            "{\"event\":\"pusher:subscribe\",\"data\":\"not json\"}",
            "{\"event\":\"pusher:subscribe\",\"data\":[\"news\"]}",
            "{\"event\":\"pusher:subscribe\",\"data\":42}",
            "{\"event\":\"pusher:unsubscribe\"}",
            "{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":7}}",
            "{\"event\":\"client-typing\",\"channel\":\"private-not-subscribed\",\"data\":{}}",
            "{\"event\":\"client-typing\",\"data\":{}}"})
    void badMessageGetsWellFormedErrorAndConnectionStaysUsable(String bad) throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("key-1"));
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            client.socketId();
            bystander.socketId();
            client.send(bad);
            assertWellFormedError(client.nextEvent("pusher:error"));
            assertUsable(client);
            assertUsable(bystander);
        }
    }

    @Test
    void deeplyNestedJsonIsRejectedWithoutHarm() throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("key-1"));
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            client.socketId();
            bystander.socketId();
            String nested = "{\"event\":\"pusher:ping\",\"data\":" + "[".repeat(30_000) + "]".repeat(30_000) + "}";
            client.send(nested);
            assertWellFormedError(client.nextEvent("pusher:error"));
            assertUsable(client);
            assertUsable(bystander);
        }
    }

    @Test
    void binaryFrameGetsErrorAndConnectionStaysUsable() throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("key-1"));
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            client.socketId();
            bystander.socketId();
            client.socket().sendBinary(ByteBuffer.wrap(PING.getBytes(StandardCharsets.UTF_8)), true).join();
            assertWellFormedError(client.nextEvent("pusher:error"));
            assertUsable(client);
            assertUsable(bystander);
        }
    }

    @Test
    void manyBadMessagesInARowDoNotCloseTheConnection() throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("key-1"))) {
            client.socketId();
            for (int i = 0; i < 50; i++) {
                client.send(i % 2 == 0 ? "{" : "{\"event\":\"pusher:nope\"}");
            }
            for (int i = 0; i < 50; i++) {
                assertWellFormedError(client.nextJson());
            }
            assertUsable(client);
        }
    }

    // ---- frames over max_frame_size --------------------------------------------------------------------------------

    @Test
    void oneMegabyteMessageFromAStandardClientIsAnswered1009AndClosedWith1009() throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("key-1"));
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            client.socketId();
            bystander.socketId();
            String big = "{\"event\":\"client-big\",\"channel\":\"private-x\",\"data\":\"" + "x".repeat(1 << 20) + "\"}";
            client.socket().sendText(big, true); // the send may fail once the server closes; not awaited
            JsonNode error = client.nextEvent("pusher:error");
            assertWellFormedError(error);
            assertThat(error.path("data").path("code").asInt()).isEqualTo(1009);
            assertThat(client.closeCode(5)).isEqualTo(1009);
            assertUsable(bystander);
            try (RawClient fresh = RawClient.connect(server.wsUrl("key-1"))) {
                assertThat(fresh.socketId()).matches("^\\d+\\.\\d+$");
                assertUsable(fresh);
            }
        }
    }

    @Test
    void oneMegabyteSingleFrameIsAnswered1009AndClosedWith1009() throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true);
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            bystander.socketId();
            byte[] big = ("{\"event\":\"pusher:ping\",\"data\":\"" + "x".repeat(1 << 20) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            sendIgnoringErrors(ws, FrameSocket.OP_TEXT, big);
            assertClosedWithErrorFirst(ws, 1009);
            assertUsable(bystander);
        }
    }

    @Test
    void configuredSmallMaxFrameSizeIsEnforcedAndMessagesBelowItStillWork() throws Exception {
        try (TestServer server = TestServer.start(TestServer.DEFAULT_APPS + "max_frame_size: 2048\n");
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true);
                FrameSocket fragmented = FrameSocket.open(server.port(), PATH, true, true);
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            assertThat(fragmented.nextContaining("connection_established", 5_000)).isNotNull();
            bystander.socketId();
            // exactly at the limit: fine
            ws.sendText(pingOfSize(2048));
            assertThat(ws.nextContaining("pusher:pong", 3_000)).as("pong for a 2048-byte ping").isNotNull();
            // a single frame one byte over the limit
            sendIgnoringErrors(ws, FrameSocket.OP_TEXT, pingOfSize(2049).getBytes(StandardCharsets.UTF_8));
            assertClosedWithErrorFirst(ws, 1009);
            // a message over the limit made of two frames, each under it
            byte[] over = pingOfSize(3000).getBytes(StandardCharsets.UTF_8);
            fragmented.sendFrame(FrameSocket.OP_TEXT, java.util.Arrays.copyOfRange(over, 0, 1500), false);
            sendIgnoringErrors(fragmented, FrameSocket.OP_CONT, java.util.Arrays.copyOfRange(over, 1500, over.length));
            assertClosedWithErrorFirst(fragmented, 1009);
            assertUsable(bystander);
        }
    }

    @Test
    void largeMessageBelowTheDefaultLimitIsAccepted() throws Exception {
        try (TestServer server = TestServer.start();
                RawClient client = RawClient.connect(server.wsUrl("key-1"))) {
            client.socketId();
            client.send(pingOfSize(60_000));
            assertThat(client.nextEvent("pusher:pong")).isNotNull();
        }
    }

    // ---- frames the WebSocket layer rejects -------------------------------------------------------------------------

    @Test
    void invalidUtf8InATextFrameClosesWith1007AndTheServerCarriesOn() throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true);
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            bystander.socketId();
            ByteArrayOutputStream bad = new ByteArrayOutputStream();
            bad.write("{\"event\":\"pusher:ping\",\"data\":\"".getBytes(StandardCharsets.US_ASCII));
            bad.write(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
            bad.write("\"}".getBytes(StandardCharsets.US_ASCII));
            ws.sendFrame(FrameSocket.OP_TEXT, bad.toByteArray());
            Integer code = ws.closeCode(3_000);
            assertThat(code).as("close code for invalid UTF-8 (RFC 6455 §8.1); got instead: %s", ws.transcript())
                    .isEqualTo(1007);
            assertUsable(bystander);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"unknown opcode", "unmasked frame", "reserved bit set", "oversized control frame",
            "continuation without a start"})
    void protocolViolationClosesOnlyThatConnectionWith1002(String violation) throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true);
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            bystander.socketId();
            byte[] ping = PING.getBytes(StandardCharsets.UTF_8);
            switch (violation) {
                case "unknown opcode" -> ws.sendFrame(0x3, ping);
                case "unmasked frame" -> {
                    ByteBuffer b = ByteBuffer.allocate(2 + ping.length);
                    b.put((byte) 0x81).put((byte) ping.length).put(ping);
                    ws.sendRaw(b.array());
                }
                case "reserved bit set" -> ws.sendFrame(0x40 | FrameSocket.OP_TEXT, ping);
                case "oversized control frame" -> ws.sendFrame(FrameSocket.OP_PING, new byte[200]);
                case "continuation without a start" -> ws.sendFrame(FrameSocket.OP_CONT, ping);
                default -> throw new IllegalArgumentException(violation);
            }
            assertThat(ws.closeCode(5_000)).as("close code").isEqualTo(1002);
            assertUsable(bystander);
            try (RawClient fresh = RawClient.connect(server.wsUrl("key-1"))) {
                assertUsable(fresh);
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private static String pingOfSize(int bytes) {
        String head = "{\"event\":\"pusher:ping\",\"data\":{\"pad\":\"";
        String tail = "\"}}";
        return head + "x".repeat(bytes - head.length() - tail.length()) + tail;
    }

    /** The server may close while we are still writing a big frame; that is fine. */
    private static void sendIgnoringErrors(FrameSocket ws, int opcode, byte[] payload) {
        CompletableFuture.runAsync(() -> {
            try {
                ws.sendFrame(opcode, payload);
            } catch (IOException ignored) {
                // closed by the server mid-write
            }
        });
    }

    private static void assertClosedWithErrorFirst(FrameSocket ws, int code) throws IOException {
        assertThat(ws.closeCode(5_000)).as("close code").isEqualTo(code);
        List<String> transcript = ws.transcript();
        assertThat(transcript.get(transcript.size() - 1)).isEqualTo("close:" + code);
        assertThat(transcript.size()).as("a pusher:error precedes the close: %s", transcript).isGreaterThanOrEqualTo(2);
        JsonNode error = JSON.readTree(transcript.get(transcript.size() - 2).substring("text:".length()));
        assertWellFormedError(error);
        assertThat(error.path("data").path("code").asInt()).isEqualTo(code);
    }
}
