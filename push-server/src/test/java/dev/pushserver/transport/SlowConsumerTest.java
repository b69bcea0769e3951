package dev.pushserver.transport;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static org.assertj.core.api.Assertions.assertThat;

import com.pusher.rest.data.Event;
import com.pusher.rest.data.Result;
import dev.pushserver.metrics.Scrape;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The declared slow-consumer policy: a subscriber that stops reading is closed once more than max_outbound_buffer
 * bytes wait for it in the server, instead of the server buffering without bound; subscribers that keep reading
 * get every message.
 */
class SlowConsumerTest {

    @Test
    void aSubscriberThatStopsReadingIsClosedAndTheOthersGetEverything() throws Exception {
        try (TestServer server = TestServer.start("max_outbound_buffer: 65536\n" + apps(app(1)));
                RawClient healthy = RawClient.connect(server.wsUrl("key-1"));
                Socket slow = new Socket("127.0.0.1", server.port())) {
            healthy.socketId();
            healthy.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"feed\"}}");
            healthy.nextEvent("pusher_internal:subscription_succeeded");

            // a client that subscribes and then never reads again
            slow.setReceiveBufferSize(4096);
            OutputStream out = slow.getOutputStream();
            out.write(("GET /app/key-1?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = slow.getInputStream();
            byte[] first = new byte[512];
            assertThat(in.read(first)).isPositive(); // the upgrade answer; after this it reads nothing
            out.write(maskedText("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"feed\"}}"));
            out.flush();
            com.pusher.rest.Pusher api = server.httpClient("app-1", "key-1", "secret-1");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> subscriptions(api) == 2);

            String data = "x".repeat(10_000);
            int sent = 0;
            for (int batch = 0; batch < 200 && subscriptions(api) == 2; batch++) {
                List<Event> events = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    events.add(new Event("feed", "tick", data + (sent++)));
                }
                assertThat(api.trigger(events).getStatus()).isEqualTo(Result.Status.SUCCESS);
            }
            // the server gave up on the slow one (at most ~20 MB offered, far beyond socket buffers + 64 KB)
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> subscriptions(api) == 1);

            int received = 0;
            while (received < sent) {
                String m = healthy.next(5_000);
                assertThat(m).as("message %d of %d for the subscriber that kept reading", received, sent).isNotNull();
                if (m.contains("\"tick\"")) {
                    received++;
                }
            }
            assertThat(healthy.isOpen()).isTrue();
            // and the metrics tell it: one slow-consumer close, a connection closed with 4100
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Scrape.get(server.port())
                    .value("push_connections_closed_total", "app", "app-1", "code", "4100") == 1);
            assertThat(Scrape.get(server.port()).value("push_slow_consumer_closes_total", "app", "app-1"))
                    .isEqualTo(1);
        }
    }

    private static int subscriptions(com.pusher.rest.Pusher api) throws Exception {
        Result r = api.get("/channels/feed", java.util.Map.of("info", "subscription_count"));
        String body = r.getMessage();
        int i = body.indexOf("\"subscription_count\":");
        return i < 0 ? 0 : Integer.parseInt(body.substring(i + 21).replaceAll("[^0-9].*$", ""));
    }

    private static byte[] maskedText(String text) {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        byte[] f = new byte[6 + p.length];
        f[0] = (byte) 0x81;
        f[1] = (byte) (0x80 | p.length); // < 126
        // zero mask key: payload bytes unchanged
        System.arraycopy(p, 0, f, 6, p.length);
        return f;
    }
}
