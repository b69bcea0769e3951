package dev.pushserver.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The hardening tests' own instruments, checked against stand-in peers (no push-server involved), so that a
 * hardening test that passes or fails does so because of the server: a peer that stops reading shows as STALLED, one
 * that closes as CLOSED_BY_PEER, closes are counted, a retained allocation shows as memory growth, a forged log line
 * is seen, and a close frame is parsed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HarnessSelfTest {

    private static final long MB = 1024 * 1024;

    @Test
    void floodSeesAPeerThatStopsReadingAsStalled() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(4096);
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            SocketChannel ch = Flood.connect(server.getLocalPort());
            try (Socket peer = server.accept()) { // accepted, never read
                Flood.Result r = Flood.one(Flood.start(List.of(ch), null, new byte[64 * 1024], 256 * MB, 1_000,
                        20_000));
                assertThat(r.outcome()).as("%s", r).isEqualTo(Flood.Outcome.STALLED);
                assertThat(r.written()).as("%s", r).isLessThan(64 * MB);
            } finally {
                ch.close();
            }
        }
    }

    @Test
    void floodSeesAPeerThatClosesAsClosedByPeerAndAwaitClosedCountsCloses() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<SocketChannel> chs = new ArrayList<>();
            List<Socket> peers = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    chs.add(Flood.connect(server.getLocalPort()));
                    peers.add(server.accept());
                }
                // peer 0 answers and closes, peer 1 closes at once, peers 2 and 3 stay open
                OutputStream out = peers.get(0).getOutputStream();
                out.write("HTTP/1.1 503 Busy\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                peers.get(0).close();
                peers.get(1).close();
                List<Flood.Closed> ends = Flood.awaitClosed(chs, 1_500);
                assertThat(ends).extracting(Flood.Closed::closed).containsExactly(true, true, false, false);
                assertThat(ends.get(0).firstBytes()).startsWith("HTTP/1.1 503");
                assertThat(ends.get(1).firstBytes()).isEmpty();
                Flood.Result r = Flood.one(Flood.start(List.of(chs.get(1)), null, new byte[64 * 1024], 256 * MB,
                        2_000, 20_000));
                assertThat(r.outcome()).as("%s", r).isEqualTo(Flood.Outcome.CLOSED_BY_PEER);
            } finally {
                Flood.closeAll(chs);
                for (Socket p : peers) {
                    p.close();
                }
            }
        }
    }

    private static volatile byte[][] retained;

    @Test
    void memoryMeasurementSeesARetainedAllocation() {
        Hardening.Memory before = Hardening.memory();
        retained = new byte[128][];
        for (int i = 0; i < retained.length; i++) {
            retained[i] = new byte[(int) MB];
        }
        Hardening.Memory held = Hardening.memory();
        assertThat(held.total() - before.total()).as("%s -> %s", before, held)
                .isGreaterThan(Hardening.MEMORY_MARGIN_BYTES);
        retained = null;
        Hardening.Memory released = Hardening.memory();
        assertThat(released.total() - before.total()).as("%s -> %s", before, released)
                .isLessThan(Hardening.MEMORY_MARGIN_BYTES);
    }

    @Test
    void logCaptureSeesAForgedLine() {
        try (LogCapture logs = LogCapture.start()) {
            LoggerFactory.getLogger("dev.pushserver.SelfTest").warn("event {}", "x\nFORGED-self");
            List<ILoggingEvent> events = logs.serverEvents();
            assertThat(events).hasSize(1);
            assertThat(LogCapture.render(events.get(0))).contains("\nFORGED-self");
        }
    }

    @Test
    void closeFramesAreParsed() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                Socket client = new Socket("127.0.0.1", server.getLocalPort());
                Socket peer = server.accept()) {
            byte[] text = "{\"event\":\"pusher:error\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            OutputStream out = peer.getOutputStream();
            out.write(new byte[] {(byte) 0x81, (byte) text.length});
            out.write(text);
            out.write(new byte[] {(byte) 0x88, 2, (byte) (1002 >> 8), (byte) (1002 & 0xFF)});
            out.flush();
            client.setSoTimeout(200);
            InputStream in = client.getInputStream();
            RawWs.Ending e = RawWs.readUntilClose(in, 2_000);
            assertThat(e.closeCode()).isEqualTo(1002);
            assertThat(e.texts()).containsExactly("{\"event\":\"pusher:error\"}");
        }
    }
}
