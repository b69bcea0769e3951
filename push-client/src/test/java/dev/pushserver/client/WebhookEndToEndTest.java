package dev.pushserver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Webhooks posted by a real push-server are accepted by verifyWebhook and parsed into typed events. */
class WebhookEndToEndTest {

    record Delivery(String key, String signature, String contentType, byte[] body) {
    }

    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    HttpServer receiver;
    InJvmServer server;
    final List<RawSocket> sockets = new ArrayList<>();

    @AfterEach
    void stop() {
        sockets.forEach(RawSocket::close);
        if (server != null) {
            server.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    @Test
    void realWebhooksVerifyAndParse(@TempDir Path dataDir) throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", ex -> {
            deliveries.add(new Delivery(ex.getRequestHeaders().getFirst("X-Pusher-Key"),
                    ex.getRequestHeaders().getFirst("X-Pusher-Signature"),
                    ex.getRequestHeaders().getFirst("Content-Type"), ex.getRequestBody().readAllBytes()));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.start();
        server = InJvmServer.start("""
                max_connections_per_ip: 0
                max_new_connections_per_ip_per_second: 0
                host: 127.0.0.1
                port: 0
                data_dir: %s
                apps:
                  - id: app-1
                    key: key-1
                    secret: secret-1
                    enable_client_messages: true
                    webhooks:
                      - url: http://127.0.0.1:%d/hook
                """.formatted(dataDir.toString().replace("\\", "/"), receiver.getAddress().getPort()));
        PushApi api = server.api(1);

        RawSocket s = new RawSocket(server.wsPort(), "key-1");
        sockets.add(s);
        s.subscribe("presence-hooks", api.authorizeChannel(s.socketId, "presence-hooks",
                PushApi.presenceData("u7", Map.of("name", "Seven"))));
        ObjectNode client = RawSocket.JSON.createObjectNode();
        client.put("event", "client-typing");
        client.put("channel", "presence-hooks");
        client.put("data", "{\"typing\":true}");
        s.ws.sendText(client.toString(), true).join();

        List<Webhook.Event> events = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            events.clear();
            for (Delivery d : deliveries) {
                assertThat(d.contentType()).isEqualTo("application/json");
                events.addAll(api.verifyWebhook(d.key(), d.signature(), d.body()).events());
            }
            assertThat(events).extracting(Webhook.Event::name)
                    .contains("channel_occupied", "member_added", "client_event");
        });
        assertThat(events).contains(
                new Webhook.Event("channel_occupied", "presence-hooks", null, null, null, null, null),
                new Webhook.Event("member_added", "presence-hooks", "u7", null, null, null, null),
                new Webhook.Event("client_event", "presence-hooks", "u7", "client-typing", "{\"typing\":true}",
                        s.socketId, null));

        Delivery d = deliveries.get(0);
        assertThat(api.verifyWebhook(d.key(), d.signature(), d.body()).timeMs()).isPositive();
        PushApi otherSecret = server.api("app-1", "key-1", "secret-2");
        assertThatThrownBy(() -> otherSecret.verifyWebhook(d.key(), d.signature(), d.body()))
                .isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isEqualTo(401));
    }
}
