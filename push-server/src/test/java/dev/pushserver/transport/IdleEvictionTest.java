package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A server full of idle sockets (from many addresses, so that no per-address limit applies) still admits real
 * clients: the connection that has waited longest without a request in progress makes room.
 */
class IdleEvictionTest {

    @Test
    void aFullServerMakesRoomForANewClientByClosingTheLongestIdleSocket() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try (TestServer server = TestServer.start(TestServer.DEFAULT_APPS + "max_connections: 40\n"
                + "max_connections_per_ip: 0\nmax_new_connections_per_ip_per_second: 0\n")) {
            for (int i = 0; i < 40; i++) {
                if (i == 20) {
                    Thread.sleep(300); // the first twenty are clearly older
                }
                Socket s = new Socket();
                s.bind(new InetSocketAddress("127.0.3." + (1 + i), 0));
                s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2_000);
                idle.add(s);
            }
            // full: every new connection is admitted by closing an idle one, oldest first
            try (RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
                assertThat(c.nextEvent("pusher:connection_established")).isNotNull();
            }
            SignedRequest.Response r = SignedRequest.get(server.apiPort(), "/apps/app-1/channels").send();
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            List<Integer> closed = new ArrayList<>();
            for (int i = 0; i < idle.size(); i++) {
                idle.get(i).setSoTimeout(i == 0 ? 1_000 : 50);
                try {
                    if (idle.get(i).getInputStream().read() == -1) {
                        closed.add(i);
                    }
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // not evicted
                }
            }
            assertThat(closed).as("idle sockets that made room for the two clients, the oldest first").isNotEmpty()
                    .allMatch(i -> i < 20);
        } finally {
            for (Socket s : idle) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // clean-up
                }
            }
        }
    }
}
