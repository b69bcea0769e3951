package dev.pushserver.hardening;

import static dev.pushserver.hardening.Hardening.assertMemoryBounded;
import static dev.pushserver.hardening.Hardening.assertResponsive;
import static dev.pushserver.hardening.Hardening.memory;
import static dev.pushserver.hardening.Hardening.report;
import static dev.pushserver.hardening.HardeningYaml.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.testing.Messages;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8, rows 1 and 2: a client that sends requests and never reads the answers must not make the server buffer
 * them without bound. {@code max_outbound_buffer} applies to every write, and while a connection's output is over it
 * the server stops reading from it (or closes it: 4100 on a WebSocket, a plain close on HTTP). Either way the
 * attacker cannot push the whole attack into the server, memory stays bounded, and a normal client is served.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OutboundBackpressureTest {

    private static final long MB = 1024 * 1024;
    /** An attacking connection is given up when the server has taken none of its bytes for this long. */
    private static final long STALL_MS = 2_000;
    private static final long FLOOD_DEADLINE_MS = 25_000;

    /**
     * Rate limits are pushed out of the way (1,000,000 messages per second, far above what the attack reaches on
     * two cores) so that what bounds the server here is backpressure on the replies, not the message rate limit.
     */
    private static String backpressureYaml() {
        return yaml().server("max_outbound_buffer: 65536")
                .app("max_messages_per_second: 1000000").build();
    }

    /**
     * Row 1: 48 MB of WebSocket ping frames (16 bytes each: 10 bytes of payload, which every pong echoes) on a
     * connection that never reads the pongs. Unprotected, the server queues ~3 million pongs (+560 MB measured).
     */
    @Test
    void row1_pingFramesFromAClientThatNeverReadsDoNotGrowTheServer() throws Exception {
        byte[] ping = RawWs.masked(0x89, "0123456789".getBytes(StandardCharsets.US_ASCII));
        floodWebSocket("row1_pingFrames", RawWs.repeat(ping, 65_536 / ping.length), 48 * MB);
    }

    /**
     * Row 1, the other form: 40 MB of {@code pusher:ping} messages on a connection that never reads. Unprotected,
     * the server queues ~1 million {@code pusher:pong} messages (+260 MB measured).
     */
    @Test
    void row1_pusherPingMessagesFromAClientThatNeverReadsDoNotGrowTheServer() throws Exception {
        byte[] ping = RawWs.maskedText(Messages.PING);
        floodWebSocket("row1_pusherPing", RawWs.repeat(ping, 65_536 / ping.length), 40 * MB);
    }

    private void floodWebSocket(String test, byte[] pattern, long total) throws Exception {
        Hardening.Checks checks = new Hardening.Checks(test);
        try (TestServer server = TestServer.start(backpressureYaml())) {
            assertResponsive(test, server); // warm-up: classes loaded, pools created
            Hardening.Memory before = memory();
            SocketChannel attacker = Flood.connect(server.port());
            try {
                assertThat(RawWs.upgrade(attacker)).contains(" 101 ");
                Flood.Result r = Flood.one(Flood.start(List.of(attacker), null, pattern, total, STALL_MS,
                        FLOOD_DEADLINE_MS));
                report(test, "attacker offered " + Flood.mb(total) + ": " + r);
                checks.check("responsive", () -> assertResponsive(test, server));
                checks.check("memory", () -> assertMemoryBounded(test, before));
                checks.check("attack outcome", () -> {
                    assertThat(r.outcome()).as("the server swallowed %s from a client that never reads (%s)",
                            Flood.mb(total), r).isIn(Flood.Outcome.STALLED, Flood.Outcome.CLOSED_BY_PEER);
                    assertThat(r.written()).isLessThan(total);
                });
            } finally {
                attacker.close();
            }
            checks.check("responsive after the attacker left", () -> assertResponsive(test, server));
        }
        checks.verify();
    }

    /**
     * Row 2: about 160 MB of pipelined keep-alive HTTP requests with 4000-character paths, never reading a response.
     * The server must stop reading (or close) once ~max_outbound_buffer of answers wait, instead of queueing them all
     * (and each 404 must not echo the 4 KB path, which doubled the attack). Unprotected: +177 MB measured.
     */
    @Test
    void row2_pipelinedHttpRequestsFromAClientThatNeverReadsDoNotGrowTheServer() throws Exception {
        String test = "row2_pipelinedHttp";
        Hardening.Checks checks = new Hardening.Checks(test);
        try (TestServer server = TestServer.start(backpressureYaml())) {
            assertResponsive(test, server);
            Hardening.Memory before = memory();
            byte[] request = ("GET /" + "p".repeat(4000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] pattern = RawWs.repeat(request, 16);
            long total = (160 * MB / pattern.length) * pattern.length;
            SocketChannel attacker = Flood.connect(server.apiPort());
            try {
                Flood.Result r = Flood.one(Flood.start(List.of(attacker), null, pattern, total, STALL_MS,
                        FLOOD_DEADLINE_MS));
                report(test, "attacker offered " + Flood.mb(total) + " (" + total / request.length + " requests): " + r);
                checks.check("responsive", () -> assertResponsive(test, server));
                checks.check("memory", () -> assertMemoryBounded(test, before));
                checks.check("attack outcome", () -> {
                    assertThat(r.outcome()).as("the server read %s of requests whose answers were never read (%s)",
                            Flood.mb(total), r).isIn(Flood.Outcome.STALLED, Flood.Outcome.CLOSED_BY_PEER);
                    assertThat(r.written()).isLessThan(total);
                });
            } finally {
                attacker.close();
            }
            checks.check("responsive after the attacker left", () -> assertResponsive(test, server));
        }
        checks.verify();
    }

    /** Row 2, the echo: no 404 or 405 body repeats the request path (a 4 KB path made a 4 KB answer). */
    @Test
    void row2_notFoundAndMethodNotAllowedDoNotEchoThePath() throws Exception {
        String marker = "zq" + Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 36)
                + "x".repeat(2000);
        String markerStart = marker.substring(0, 12);
        Hardening.Checks checks = new Hardening.Checks("row2_echo");
        try (TestServer server = TestServer.start(yaml().build())) {
            int port = server.apiPort();
            // API paths are validly signed, so that the route (not the signature check) decides the answer
            List<String[]> cases = List.of(
                    new String[] {"GET", "/" + marker, "404"},
                    new String[] {"GET", "/static/" + marker + "/index.html", "404"},
                    new String[] {"GET", "/apps/app-1/" + marker, "404"},
                    new String[] {"GET", "/apps/app-1/channels/c/" + marker, "404"},
                    new String[] {"POST", "/apps/app-1/" + marker, "404"},
                    new String[] {"DELETE", "/apps/app-1/channels/" + marker, "405"},
                    new String[] {"POST", "/apps/app-1/channels/" + marker + "/users", "405"});
            for (String[] c : cases) {
                byte[] body = c[0].equals("GET") ? null : new byte[0];
                RawHttp.Response r = c[1].startsWith("/apps/")
                        ? RawHttp.send(port, SignedRequest.method(port, c[0], c[1]), c[0], body)
                        : RawHttp.send(port, c[0], c[1], body);
                report("row2_echo", c[0] + " " + c[1].substring(0, Math.min(40, c[1].length())) + "... -> "
                        + r.status() + ", body " + r.body().length() + " chars");
                checks.check(c[0] + " " + c[1].substring(0, Math.min(40, c[1].length())), () -> {
                    assertThat(r.status()).as("%s %s: %s", c[0], c[1], r).isEqualTo(Integer.parseInt(c[2]));
                    assertThat(errorText(r)).as("JSON error body of %s", r).isNotBlank();
                    assertThat(r.body()).as("%s answer to %s %s... echoes the path", c[2], c[0], markerStart)
                            .doesNotContain(markerStart);
                });
            }
        }
        checks.verify();
    }

    /** The {@code error} text of a {"error":"..."} body. */
    private static String errorText(RawHttp.Response r) throws Exception {
        return SignedRequest.JSON.readTree(r.body()).path("error").asText();
    }
}
