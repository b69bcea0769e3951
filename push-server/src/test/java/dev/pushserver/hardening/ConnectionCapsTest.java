package dev.pushserver.hardening;

import static dev.pushserver.hardening.Hardening.assertResponsive;
import static dev.pushserver.hardening.Hardening.report;
import static dev.pushserver.hardening.HardeningYaml.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8, "Caps" (and row 4's file-descriptor exhaustion): connections per client IP
 * ({@code max_connections_per_ip}), new connections per IP per second
 * ({@code max_new_connections_per_ip_per_second}) and open connections of the whole server
 * ({@code max_connections}). All clients here come from 127.0.0.1, so each test's caps are its own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionCapsTest {

    /**
     * {@code max_connections_per_ip: 4}: four WebSockets are served; a fifth is upgraded, gets {@code pusher:error}
     * 4100 and is closed with 4100; a plain HTTP request meanwhile gets a JSON 429 and its connection is closed.
     * Once one of the four leaves, a new client is served again.
     */
    @Test
    void connectionsPerIpOverTheCapAreRefused() throws Exception {
        String test = "perIp";
        String yaml = yaml().server("max_connections_per_ip: 4", "max_new_connections_per_ip_per_second: 0",
                "http_header_timeout: 30").build();
        List<RawClient> clients = new ArrayList<>();
        try (TestServer server = TestServer.start(yaml)) {
            try {
                for (int i = 0; i < 4; i++) {
                    RawClient c = RawClient.connect(server.wsUrl("key-1"));
                    clients.add(c);
                    assertThat(c.socketId()).as("client %d of 4", i + 1).matches("^\\d+\\.\\d+$");
                }
                try (RawClient fifth = RawClient.connect(server.wsUrl("key-1"))) {
                    JsonNode first = fifth.nextJson();
                    report(test, "fifth WebSocket: first message " + first + ", close code " + fifth.closeCode(5));
                    assertThat(first.path("event").asText()).as("first message to the fifth: %s", first)
                            .isEqualTo("pusher:error");
                    assertThat(first.path("data").path("code").asInt()).isEqualTo(4100);
                    assertThat(fifth.closeCode(5)).as("close code of the fifth").isEqualTo(4100);
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", server.apiPort()), 5_000);
                    s.setSoTimeout(5_000);
                    s.getOutputStream().write(RawHttp.head("GET", "/health", -1, false));
                    s.getOutputStream().flush();
                    RawHttp.Response r = RawHttp.read(s.getInputStream());
                    boolean closed = PreTrustTimeoutTest.awaitEnd(s, 5_000);
                    report(test, "HTTP request over the cap: " + r + (closed ? ", closed" : ", left open"));
                    assertThat(r.status()).as("HTTP over the per-IP cap: %s", r).isEqualTo(429);
                    assertThat(RawClient.json().readTree(r.body()).path("error").isTextual()).as("%s", r).isTrue();
                    assertThat(closed).as("connection closed after the 429").isTrue();
                }
                clients.remove(0).close();
                Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .untilAsserted(() -> {
                            try (RawClient again = RawClient.connect(server.wsUrl("key-1"))) {
                                assertThat(again.nextJson().path("event").asText())
                                        .isEqualTo("pusher:connection_established");
                            }
                        });
            } finally {
                clients.forEach(RawClient::close);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> RawHttp.get(server.apiPort(), "/health").status() == 200);
            assertResponsive(test, server);
        }
    }

    /**
     * {@code max_new_connections_per_ip_per_second: 20}: of 100 connections opened at once (each sending a
     * {@code GET /health}), those over the rate are closed right after accept, unanswered; at most 20 per second
     * (two windows if the burst straddles a second) are answered.
     */
    @Test
    void newConnectionsPerIpOverTheRateAreClosedRightAway() throws Exception {
        String test = "newPerSecond";
        String yaml = yaml().server("max_new_connections_per_ip_per_second: 20", "max_connections_per_ip: 0",
                "http_header_timeout: 30").build();
        try (TestServer server = TestServer.start(yaml)) {
            List<SocketChannel> burst = new ArrayList<>();
            byte[] health = RawHttp.head("GET", "/health", -1, false);
            try {
                long start = System.nanoTime();
                for (int i = 0; i < 100; i++) {
                    SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.apiPort()));
                    burst.add(ch);
                    try {
                        ch.write(ByteBuffer.wrap(health));
                    } catch (java.io.IOException closedAlready) {
                        // refused right after accept
                    }
                }
                long burstMs = (System.nanoTime() - start) / 1_000_000;
                List<Flood.Closed> ends = Flood.awaitClosed(burst, 2_000);
                long answered = ends.stream().filter(e -> e.firstBytes().startsWith("HTTP/1.1 200")).count();
                long refused = ends.stream().filter(e -> e.closed() && e.firstBytes().isEmpty()).count();
                long windows = burstMs / 1000 + 2;
                report(test, "100 connections in " + burstMs + " ms: " + answered + " answered, " + refused
                        + " closed unanswered");
                assertThat(answered).as("connections served (at most 20 per second, %d windows)", windows)
                        .isLessThanOrEqualTo(20 * windows).isGreaterThanOrEqualTo(1);
                assertThat(refused).as("connections closed right after accept").isGreaterThanOrEqualTo(100 - 20 * windows);
            } finally {
                Flood.closeAll(burst);
            }
            Thread.sleep(1_100); // generous: a new second for the normal client
            assertResponsive(test, server);
        }
    }

    /**
     * {@code max_connections: 10} (server-wide): of 15 silent connections, those over 10 are closed right after
     * accept (well before the 30 s header timeout); when they go, a normal client is served.
     */
    @Test
    void connectionsOverTheServerWideCapAreClosedRightAfterAccept() throws Exception {
        String test = "maxConnections";
        String yaml = yaml().server("max_connections: 10", "max_connections_per_ip: 0",
                "max_new_connections_per_ip_per_second: 0", "http_header_timeout: 30").build();
        try (TestServer server = TestServer.start(yaml)) {
            List<SocketChannel> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 15; i++) {
                    silent.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port())));
                }
                List<Flood.Closed> ends = Flood.awaitClosed(silent, 3_000);
                long closed = ends.stream().filter(Flood.Closed::closed).count();
                report(test, "15 silent connections: " + closed + " closed within 3 s, " + (15 - closed)
                        + " kept");
                assertThat(15 - closed).as("connections kept open with max_connections 10").isLessThanOrEqualTo(10);
                assertThat(closed).as("connections over max_connections closed right after accept")
                        .isGreaterThanOrEqualTo(5);
            } finally {
                Flood.closeAll(silent);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> RawHttp.get(server.apiPort(), "/health").status() == 200);
            assertResponsive(test, server);
        }
    }
}
