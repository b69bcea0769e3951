package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionState;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The shortest end-to-end path: official WebSocket client subscribes, official HTTP SDK triggers. */
class SmokeTest {

    @Test
    void httpTriggerReachesJavaClient() throws Exception {
        try (TestServer server = TestServer.start()) {
            Pusher client = server.pusherClient("key-1");
            client.connect();
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED);
            assertThat(client.getConnection().getSocketId()).matches("\\d+\\.\\d+");
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            com.pusher.client.channel.Channel news = client.subscribe("news");
            news.bind("headline", e -> got.add(e.getEventName() + "|" + e.getData()));
            com.pusher.rest.Pusher api = server.httpClient("app-1", "key-1", "secret-1");
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> client.getChannel("news").isSubscribed());
            Result r = api.trigger("news", "headline", java.util.Map.of("text", "hello"));
            assertThat(r.getStatus()).isEqualTo(Result.Status.SUCCESS);
            assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("headline|{\"text\":\"hello\"}");
            client.disconnect();
        }
    }
}
