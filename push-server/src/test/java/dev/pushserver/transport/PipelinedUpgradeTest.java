package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Frames sent in the same write as the upgrade request (before the 101 is read) are not lost. */
class PipelinedUpgradeTest {

    @Test
    void aSubscribeSentTogetherWithTheUpgradeRequestIsHandled() throws Exception {
        try (TestServer server = TestServer.start(); Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(200);
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.write(("GET /app/key-1?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            request.write(maskedText("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"early\"}}"));
            request.write(maskedText("{\"event\":\"pusher:ping\",\"data\":{}}"));
            OutputStream out = s.getOutputStream();
            out.write(request.toByteArray()); // one write: the frames travel with the upgrade request
            out.flush();

            String seen = readFor(s.getInputStream(), 5_000, "pusher:pong");
            assertThat(seen).contains("101 Switching Protocols")
                    .contains("pusher:connection_established")
                    .contains("\"event\":\"pusher_internal:subscription_succeeded\",\"channel\":\"early\"")
                    .contains("pusher:pong");
            assertThat(seen.indexOf("subscription_succeeded")).isLessThan(seen.indexOf("pusher:pong"));
        }
    }

    /** What arrives within {@code millis}, or until {@code until} has arrived. */
    static String readFor(InputStream in, long millis, String until) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            try {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                got.write(buf, 0, n);
                if (got.toString(StandardCharsets.ISO_8859_1).contains(until)) {
                    break;
                }
            } catch (SocketTimeoutException e) {
                // keep waiting until the deadline
            }
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    static byte[] maskedText(String text) {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        byte[] f = new byte[6 + p.length];
        f[0] = (byte) 0x81;
        f[1] = (byte) (0x80 | p.length); // < 126 bytes; zero mask key leaves the payload as is
        System.arraycopy(p, 0, f, 6, p.length);
        return f;
    }
}
