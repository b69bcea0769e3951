package dev.pushserver.hardening;

import static dev.pushserver.hardening.Hardening.assertMemoryBounded;
import static dev.pushserver.hardening.Hardening.assertResponsive;
import static dev.pushserver.hardening.Hardening.memory;
import static dev.pushserver.hardening.Hardening.report;
import static dev.pushserver.hardening.HardeningYaml.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8, rows 3 and 4: until a connection has sent a complete request (or WebSocket upgrade) it has not earned
 * any trust. Headers ({@code http_header_timeout}), bodies ({@code http_body_timeout}) and idle keep-alive
 * connections ({@code http_idle_timeout}) are timed out; {@code POST /apps/...} is checked on its head before the
 * body is read; and the bodies received at once are capped ({@code max_concurrent_request_bodies}).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PreTrustTimeoutTest {

    private static final String EVENTS = "/apps/app-1/events";
    /** What the server may take, beyond its configured timeout, to close a connection (generous on purpose). */
    private static final long CLOSE_WITHIN_MS = 10_000;

    /**
     * Row 3: 200 unsigned connections each declare a 1 MiB body (the default max_request_body_size), send all of it
     * but 1 KB, and stall. The server must answer on the head (401) and close, or at the latest time the body out;
     * it must not hold ~200 MB of partial bodies until the clients go.
     */
    @Test
    void row3_unsignedConnectionsThatStallInTheirBodyAreNotHeld() throws Exception {
        String test = "row3_stalledBodies";
        int connections = 200;
        long declared = 1_048_576;
        Hardening.Checks checks = new Hardening.Checks(test);
        String yaml = yaml().server("http_header_timeout: 1", "http_body_timeout: 2").build();
        try (TestServer server = TestServer.start(yaml)) {
            assertResponsive(test, server);
            Hardening.Memory before = memory();
            List<SocketChannel> attackers = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    attackers.add(Flood.connect(server.apiPort()));
                }
                byte[] head = RawHttp.head("POST", EVENTS, declared, false);
                byte[] pattern = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
                List<Flood.Result> results = Flood.start(attackers, head, pattern, declared - 1024, 2_000, 20_000)
                        .get(60, TimeUnit.SECONDS);
                long written = results.stream().mapToLong(Flood.Result::written).sum();
                report(test, connections + " connections wrote " + Flood.mb(written) + " of " + Flood.mb(
                        connections * declared) + " declared; outcomes " + outcomes(results));
                checks.check("responsive", () -> assertResponsive(test, server));
                checks.check("memory", () -> assertMemoryBounded(test, before));
                List<Flood.Closed> ends = Flood.awaitClosed(attackers, CLOSE_WITHIN_MS);
                long closed = ends.stream().filter(Flood.Closed::closed).count();
                long answered401 = ends.stream().filter(e -> e.firstBytes().startsWith("HTTP/1.1 401")).count();
                report(test, closed + " of " + connections + " closed by the server, " + answered401
                        + " with a 401 seen before the close");
                checks.check("closed", () -> assertThat(closed)
                        .as("stalled unsigned uploads the server closed (401 at once, or body timeout 2 s)")
                        .isEqualTo(connections));
            } finally {
                Flood.closeAll(attackers);
            }
            checks.check("responsive after the attackers left", () -> assertResponsive(test, server));
        }
        checks.verify();
    }

    /**
     * Row 4: 300 sockets that never send a byte and 20 that send 15 KB of an unfinished header (under the 16 KB
     * header limit). With {@code http_header_timeout: 1} all of them are closed (here within 10 s).
     */
    @Test
    void row4_silentSocketsAndUnfinishedHeadersAreClosedAfterTheHeaderTimeout() throws Exception {
        String test = "row4_silentSockets";
        Hardening.Checks checks = new Hardening.Checks(test);
        String yaml = yaml().server("http_header_timeout: 1").build();
        try (TestServer server = TestServer.start(yaml)) {
            assertResponsive(test, server);
            Hardening.Memory before = memory();
            List<SocketChannel> silent = new ArrayList<>();
            List<SocketChannel> halfHeader = new ArrayList<>();
            try {
                for (int i = 0; i < 300; i++) {
                    silent.add(Flood.connect(server.port()));
                }
                byte[] partial = ("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "a".repeat(15_000))
                        .getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 20; i++) {
                    SocketChannel ch = Flood.connect(server.port());
                    halfHeader.add(ch);
                    ByteBuffer b = ByteBuffer.wrap(partial);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
                checks.check("responsive while they are connected", () -> assertResponsive(test, server));
                long start = System.currentTimeMillis();
                List<Flood.Closed> silentEnds = Flood.awaitClosed(silent, CLOSE_WITHIN_MS);
                List<Flood.Closed> halfEnds = Flood.awaitClosed(halfHeader,
                        Math.max(1, CLOSE_WITHIN_MS - (System.currentTimeMillis() - start)));
                long silentClosed = silentEnds.stream().filter(Flood.Closed::closed).count();
                long halfClosed = halfEnds.stream().filter(Flood.Closed::closed).count();
                report(test, "after " + (System.currentTimeMillis() - start) + " ms: " + silentClosed
                        + "/300 silent and " + halfClosed + "/20 unfinished-header sockets closed by the server");
                checks.check("silent sockets closed", () -> assertThat(silentClosed)
                        .as("sockets that never sent a byte, closed after http_header_timeout").isEqualTo(300));
                checks.check("unfinished headers closed", () -> assertThat(halfClosed)
                        .as("sockets with a 15 KB unfinished header, closed after http_header_timeout")
                        .isEqualTo(20));
                checks.check("memory", () -> assertMemoryBounded(test, before));
            } finally {
                Flood.closeAll(silent);
                Flood.closeAll(halfHeader);
            }
            checks.check("responsive after", () -> assertResponsive(test, server));
        }
        checks.verify();
    }

    /** A request whose body stops arriving is closed after {@code http_body_timeout} (not the header timeout). */
    @Test
    void aBodyThatStopsArrivingIsClosedAfterTheBodyTimeout() throws Exception {
        String test = "bodyTimeout";
        String yaml = yaml().server("http_header_timeout: 30", "http_body_timeout: 2").build();
        try (TestServer server = TestServer.start(yaml); Socket s = socket(server.apiPort())) {
            String body = "{\"name\":\"e\",\"channel\":\"c\",\"data\":\"" + "d".repeat(2000) + "\"}";
            URI uri = SignedRequest.post(server.apiPort(), EVENTS, body).uri();
            s.getOutputStream().write(RawHttp.head("POST", uri.getRawPath() + "?" + uri.getRawQuery(),
                    body.length(), false));
            s.getOutputStream().write(body.substring(0, 1000).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            long start = System.currentTimeMillis();
            boolean closed = awaitEnd(s, CLOSE_WITHIN_MS);
            report(test, "half a body, then silence: " + (closed ? "closed after " : "still open after ")
                    + (System.currentTimeMillis() - start) + " ms");
            assertThat(closed).as("connection closed after http_body_timeout (2 s)").isTrue();
            assertResponsive(test, server);
        }
    }

    /** A keep-alive connection idle after its response is closed after {@code http_idle_timeout}. */
    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        String test = "idleTimeout";
        String yaml = yaml().server("http_header_timeout: 30", "http_idle_timeout: 1").build();
        try (TestServer server = TestServer.start(yaml); Socket s = socket(server.apiPort())) {
            s.getOutputStream().write(RawHttp.head("GET", "/health", -1, false));
            s.getOutputStream().flush();
            RawHttp.Response r = RawHttp.read(s.getInputStream());
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            assertThat(r.header("connection")).as("kept alive").isNotEqualToIgnoringCase("close");
            long start = System.currentTimeMillis();
            boolean closed = awaitEnd(s, CLOSE_WITHIN_MS);
            report(test, "idle keep-alive connection " + (closed ? "closed after " : "still open after ")
                    + (System.currentTimeMillis() - start) + " ms");
            assertThat(closed).as("idle keep-alive connection closed after http_idle_timeout (1 s)").isTrue();
            assertResponsive(test, server);
        }
    }

    /**
     * {@code max_concurrent_request_bodies: 4}: four uploads that stall hold the four slots; six more requests with a
     * body get 503 and are closed; once the body timeout frees the slots, triggers work again.
     */
    @Test
    void requestBodiesBeyondTheConcurrentCapGet503() throws Exception {
        String test = "concurrentBodies";
        Hardening.Checks checks = new Hardening.Checks(test);
        String yaml = yaml().server("max_concurrent_request_bodies: 4", "http_header_timeout: 30",
                "http_body_timeout: 4").build();
        try (TestServer server = TestServer.start(yaml)) {
            int port = server.apiPort();
            String body = "{\"name\":\"e\",\"channel\":\"c\",\"data\":\"" + "d".repeat(4000) + "\"}";
            List<Socket> holders = new ArrayList<>();
            List<Socket> extra = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket s = socket(port);
                    holders.add(s);
                    s.getOutputStream().write(concat(signedHead(port, body),
                            body.substring(0, 100).getBytes(StandardCharsets.US_ASCII)));
                    s.getOutputStream().flush();
                }
                Thread.sleep(1_000); // generous: let the server take the four heads before the others arrive
                for (int i = 0; i < 6; i++) {
                    Socket s = socket(port);
                    extra.add(s);
                    // head and the body's first byte in one write, so the server has read all we sent when it closes
                    s.getOutputStream().write(concat(signedHead(port, body), new byte[] {'{'}));
                    s.getOutputStream().flush();
                }
                int got503 = 0;
                List<String> seen = new ArrayList<>();
                for (Socket s : extra) {
                    s.setSoTimeout(3_000);
                    RawHttp.Response r;
                    try {
                        r = RawHttp.read(s.getInputStream());
                    } catch (java.net.SocketTimeoutException e) {
                        r = new RawHttp.Response(-2, java.util.Map.of(), "no answer within 3 s");
                    }
                    boolean closed = r.status() > 0 && awaitEnd(s, 3_000);
                    seen.add(r.status() + (closed ? " closed" : " open"));
                    if (r.status() == 503 && closed) {
                        got503++;
                    }
                }
                report(test, "requests beyond the cap got: " + seen);
                int n503 = got503;
                checks.check("503 beyond the cap", () -> assertThat(n503)
                        .as("requests with a body beyond max_concurrent_request_bodies answered 503 and closed: %s",
                                seen)
                        .isEqualTo(6));
                long start = System.currentTimeMillis();
                int holdersClosed = 0;
                for (Socket s : holders) {
                    if (awaitEnd(s, Math.max(1, CLOSE_WITHIN_MS
                            - (System.currentTimeMillis() - start)))) {
                        holdersClosed++;
                    }
                }
                int hc = holdersClosed;
                report(test, hc + "/4 stalled uploads closed within " + (System.currentTimeMillis() - start) + " ms");
                checks.check("stalled uploads closed", () -> assertThat(hc)
                        .as("stalled uploads closed by http_body_timeout").isEqualTo(4));
                checks.check("responsive", () -> assertResponsive(test, server));
            } finally {
                holders.forEach(PreTrustTimeoutTest::quietly);
                extra.forEach(PreTrustTimeoutTest::quietly);
            }
        }
        checks.verify();
    }

    /**
     * {@code POST /apps/...} is checked on its head: an unsigned or wrongly signed-looking request declaring a 1 MB
     * body gets its 401 (404 for an unknown app) at once, before any body byte is sent, and the connection is closed.
     */
    @Test
    void postRequestsAreRejectedOnTheirHeadWithoutReadingTheBody() throws Exception {
        String test = "headCheck";
        Hardening.Checks checks = new Hardening.Checks(test);
        try (TestServer server = TestServer.start(yaml().server("http_body_timeout: 30").build())) {
            int port = server.apiPort();
            String body = "{}";
            long now = System.currentTimeMillis() / 1000;
            List<Object[]> cases = List.of(
                    new Object[] {"unsigned", EVENTS, 401},
                    new Object[] {"unknown app", pathAndQuery(SignedRequest.post(port, "/apps/no-such-app/events",
                            body)), 404},
                    new Object[] {"wrong auth_key", pathAndQuery(SignedRequest.post(port, EVENTS, body)
                            .credentials("key-2", "secret-1")), 401},
                    new Object[] {"expired auth_timestamp", pathAndQuery(SignedRequest.post(port, EVENTS, body)
                            .timestamp(now - 3_600)), 401},
                    new Object[] {"wrong auth_version", pathAndQuery(SignedRequest.post(port, EVENTS, body)
                            .version("2.0")), 401},
                    new Object[] {"garbage query", EVENTS + "?auth_key=%%%&auth_timestamp=x&auth_version=", 401});
            for (Object[] c : cases) {
                try (Socket s = socket(port)) {
                    s.setSoTimeout(5_000);
                    s.getOutputStream().write(RawHttp.head("POST", (String) c[1], 1_000_000, false));
                    s.getOutputStream().flush();
                    long start = System.currentTimeMillis();
                    RawHttp.Response r;
                    try {
                        r = RawHttp.read(s.getInputStream());
                    } catch (java.net.SocketTimeoutException e) {
                        r = new RawHttp.Response(-2, java.util.Map.of(), "no answer within 5 s");
                    }
                    RawHttp.Response resp = r;
                    boolean closed = resp.status() > 0 && awaitEnd(s, 5_000);
                    report(test, c[0] + ": " + resp + " after " + (System.currentTimeMillis() - start) + " ms, "
                            + (closed ? "closed" : "not closed"));
                    checks.check((String) c[0], () -> {
                        int expected = (Integer) c[2];
                        assertThat(resp.status()).as("%s: answer before any body byte: %s", c[0], resp)
                                .isIn(expected, 400);
                        assertThat(resp.body()).contains("\"error\"");
                        assertThat(closed).as("%s: connection closed after the answer", c[0]).isTrue();
                    });
                }
            }
            checks.check("responsive", () -> assertResponsive(test, server));
        }
        checks.verify();
    }

    /** The HTTP timeouts do not apply to an upgraded WebSocket: that one is left to liveness, as before. */
    @Test
    void anIdleWebSocketIsNotClosedByTheHttpTimeouts() throws Exception {
        String yaml = yaml().server("http_header_timeout: 1", "http_body_timeout: 1", "http_idle_timeout: 1").build();
        try (TestServer server = TestServer.start(yaml); RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            c.socketId();
            Thread.sleep(3_000); // generous: three times every HTTP timeout
            assertThat(c.closeCode(0)).as("closed while idle").isNull();
            c.send(Messages.PING);
            assertThat(c.nextEvent("pusher:pong")).isNotNull();
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static Socket socket(int port) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setTcpNoDelay(true);
        return s;
    }

    private static byte[] signedHead(int port, String body) {
        return RawHttp.head("POST", pathAndQuery(SignedRequest.post(port, EVENTS, body)), body.length(), false);
    }

    private static String pathAndQuery(SignedRequest r) {
        URI uri = r.uri();
        return uri.getRawPath() + "?" + uri.getRawQuery();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Reads and discards until the server ends the connection (true) or {@code millis} pass (false). */
    static boolean awaitEnd(Socket s, long millis) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        byte[] buf = new byte[8192];
        s.setSoTimeout(200);
        InputStream in = s.getInputStream();
        while (System.currentTimeMillis() < deadline) {
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (java.net.SocketTimeoutException e) {
                // keep waiting
            } catch (java.io.IOException e) {
                return true; // reset by the server
            }
        }
        return false;
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (Exception ignored) {
            // clean-up
        }
    }

    private static String outcomes(List<Flood.Result> results) {
        java.util.Map<Flood.Outcome, Long> m = new java.util.TreeMap<>();
        results.forEach(r -> m.merge(r.outcome(), 1L, Long::sum));
        return m.toString();
    }
}
