package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pushserver.testing.FrameSocket;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The WebSocket layer the server runs itself (RFC 6455): the opening handshake's checks and answer, and messages
 * split into fragments, which the Pusher handler puts back together and checks for UTF-8 on its own.
 */
class WebSocketLayerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATH = "/app/key-1?protocol=7&client=js&version=8.6.0";
    private static final String PING = "{\"event\":\"pusher:ping\",\"data\":{}}";

    // ---- the opening handshake ------------------------------------------------------------------------------------

    @Test
    void switchingProtocolsCarriesTheAcceptKeyOfRfc6455AndConnectionEstablishedFollows() throws Exception {
        try (TestServer server = TestServer.start(); Socket s = connect(server.port())) {
            String key = "dGhlIHNhbXBsZSBub25jZQ=="; // RFC 6455 §1.3's example
            send(s, upgrade(key, "13", true));
            InputStream in = s.getInputStream();
            Map<String, String> head = head(in);
            assertThat(head.get(":status")).startsWith("HTTP/1.1 101 ");
            assertThat(head.get("sec-websocket-accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
                    .isEqualTo(accept(key));
            assertThat(head.get("upgrade")).isEqualToIgnoringCase("websocket");
            assertThat(head.get("connection")).isEqualToIgnoringCase("Upgrade");
            // the first frame: an unmasked, final text frame with connection_established
            int b0 = in.read();
            int b1 = in.read();
            assertThat(b0).as("FIN + text").isEqualTo(0x81);
            assertThat(b1 & 0x80).as("server frames are not masked").isZero();
            byte[] payload = in.readNBytes(b1 & 0x7F);
            assertThat(JSON.readTree(payload).path("event").asText()).isEqualTo("pusher:connection_established");
        }
    }

    @ParameterizedTest(name = "version {0}")
    @CsvSource({"8", "7", "0", "14"})
    void otherWebSocketVersionsGet426NamingVersion13(String version) throws Exception {
        try (TestServer server = TestServer.start(); Socket s = connect(server.port())) {
            send(s, upgrade("dGhlIHNhbXBsZSBub25jZQ==", version, true));
            Map<String, String> head = head(s.getInputStream());
            assertThat(head.get(":status")).startsWith("HTTP/1.1 426 ");
            assertThat(head.get("sec-websocket-version")).isEqualTo("13");
            assertClosedAfterBody(s.getInputStream(), head);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"no key", "no version", "no Connection: Upgrade"})
    void incompleteUpgradeRequestsGet400WithAReason(String what) throws Exception {
        String key = what.equals("no key") ? null : "dGhlIHNhbXBsZSBub25jZQ==";
        String version = what.equals("no version") ? null : "13";
        try (TestServer server = TestServer.start(); Socket s = connect(server.port())) {
            send(s, upgrade(key, version, !what.startsWith("no Connection")));
            InputStream in = s.getInputStream();
            Map<String, String> head = head(in);
            if (version == null) {
                assertThat(head.get(":status")).startsWith("HTTP/1.1 426 ");
                return;
            }
            assertThat(head.get(":status")).startsWith("HTTP/1.1 400 ");
            byte[] body = in.readNBytes(Integer.parseInt(head.get("content-length")));
            assertThat(JSON.readTree(body).path("error").asText()).contains("Not a WebSocket request");
            assertThat(in.read()).as("closed after the answer").isEqualTo(-1);
        }
        try (TestServer server = TestServer.start(); RawClient fine = RawClient.connect(server.wsUrl("key-1"))) {
            assertThat(fine.socketId()).isNotBlank();
        }
    }

    // ---- fragmented messages ------------------------------------------------------------------------------------

    @Test
    void aMessageInFragmentsWithAPingBetweenThemIsOneMessage() throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true)) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            // "é" (C3 A9) split between two fragments: only the whole message must be UTF-8
            byte[] msg = "{\"event\":\"pusher:ping\",\"data\":{\"x\":\"caf\u00e9\"}}".getBytes(StandardCharsets.UTF_8);
            int split = indexOf(msg, (byte) 0xC3) + 1;
            ws.sendFrame(FrameSocket.OP_TEXT, Arrays.copyOfRange(msg, 0, 5), false);
            ws.sendFrame(FrameSocket.OP_PING, "hi".getBytes(StandardCharsets.US_ASCII)); // control frames may interleave
            ws.sendFrame(FrameSocket.OP_CONT, Arrays.copyOfRange(msg, 5, split), false);
            ws.sendFrame(FrameSocket.OP_CONT, Arrays.copyOfRange(msg, split, msg.length), true);
            assertThat(ws.nextContaining("pusher:pong", 3_000)).as("answer to the reassembled ping").isNotNull();
            // and the connection goes on with whole frames
            ws.sendText(PING);
            assertThat(ws.nextContaining("pusher:pong", 3_000)).isNotNull();
            assertThat(ws.pongsReceived()).as("the WebSocket ping between the fragments was answered").isEqualTo(1);
            assertThat(ws.closeCode(0)).isNull();
        }
    }

    @Test
    void aSubscribeInManyFragmentsSubscribes() throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true)) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            byte[] msg = "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"news\"}}"
                    .getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < msg.length; i += 7) {
                ws.sendFrame(i == 0 ? FrameSocket.OP_TEXT : FrameSocket.OP_CONT,
                        Arrays.copyOfRange(msg, i, Math.min(msg.length, i + 7)), i + 7 >= msg.length);
            }
            assertThat(ws.nextContaining("subscription_succeeded", 3_000)).contains("news");
        }
    }

    @Test
    void invalidUtf8SpreadOverFragmentsClosesWith1007AfterAPusherError() throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true);
                RawClient bystander = RawClient.connect(server.wsUrl("key-1"))) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            bystander.socketId();
            ByteArrayOutputStream second = new ByteArrayOutputStream();
            second.write(new byte[] {(byte) 0xC3, (byte) 0x28}); // a lead byte without its continuation
            second.write("\"}".getBytes(StandardCharsets.US_ASCII));
            ws.sendFrame(FrameSocket.OP_TEXT, "{\"event\":\"pusher:ping\",\"data\":\"".getBytes(StandardCharsets.UTF_8),
                    false);
            ws.sendFrame(FrameSocket.OP_CONT, second.toByteArray(), true);
            assertThat(ws.closeCode(3_000)).as("transcript %s", ws.transcript()).isEqualTo(1007);
            List<String> transcript = ws.transcript();
            JsonNode error = JSON.readTree(transcript.get(transcript.size() - 2).substring("text:".length()));
            assertThat(error.path("event").asText()).isEqualTo("pusher:error");
            assertThat(error.path("data").path("code").asInt()).isEqualTo(1007);
            bystander.send(PING);
            assertThat(bystander.nextEvent("pusher:pong")).isNotNull();
        }
    }

    @Test
    void aFragmentedBinaryMessageGetsOneErrorAndTheConnectionStaysUsable() throws Exception {
        try (TestServer server = TestServer.start();
                FrameSocket ws = FrameSocket.open(server.port(), PATH, true, true)) {
            assertThat(ws.nextContaining("connection_established", 5_000)).isNotNull();
            ws.sendFrame(FrameSocket.OP_BINARY, new byte[] {1, 2, 3}, false);
            ws.sendFrame(FrameSocket.OP_CONT, new byte[] {4, 5, 6}, false);
            ws.sendFrame(FrameSocket.OP_CONT, new byte[] {7}, true);
            assertThat(ws.nextContaining("Binary frames are not supported", 3_000)).isNotNull();
            ws.sendText(PING);
            assertThat(ws.nextContaining("pusher:pong", 3_000)).isNotNull();
            long errors = ws.transcript().stream().filter(t -> t.contains("pusher:error")).count();
            assertThat(errors).as("one error per binary message, not per fragment").isEqualTo(1);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void assertClosedAfterBody(InputStream in, Map<String, String> head) throws IOException {
        in.readNBytes(Integer.parseInt(head.get("content-length")));
        assertThat(in.read()).as("closed after the answer").isEqualTo(-1);
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static String upgrade(String key, String version, boolean connectionUpgrade) {
        return "GET " + PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + (connectionUpgrade ? "Connection: Upgrade\r\n" : "Connection: keep-alive\r\n")
                + (key != null ? "Sec-WebSocket-Key: " + key + "\r\n" : "")
                + (version != null ? "Sec-WebSocket-Version: " + version + "\r\n" : "") + "\r\n";
    }

    private static void send(Socket s, String request) throws IOException {
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** The response head: ":status" is the status line, headers by lower-case name. */
    private static Map<String, String> head(InputStream in) throws IOException {
        Map<String, String> h = new LinkedHashMap<>();
        String status = line(in);
        h.put(":status", status);
        for (String line = line(in); !line.isEmpty(); line = line(in)) {
            int colon = line.indexOf(':');
            h.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return h;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection ended inside the response head: " + b);
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static String accept(String key) throws Exception {
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        byte[] hash = sha1.digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
        return Base64.getEncoder().encodeToString(hash);
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
