package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.config.ConfigException;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.testing.ChannelRecorder;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The transport key: every I/O engine carries the protocol end to end with the official clients. */
class IoEngineTest {

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void eachEngineServesSubscribersAndTheHttpApi(String engine) throws Exception {
        try (TestServer server = TestServer.start(TestServer.DEFAULT_APPS + "transport: " + engine + "\n")) {
            assertThat(server.server().ioEngine()).isEqualTo(engine);
            Pusher client = server.pusherClient("key-1");
            ChannelRecorder recorder = new ChannelRecorder();
            try {
                client.connect();
                client.subscribe("news").bind("e", recorder);
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED
                                && client.getChannel("news").isSubscribed());
                for (int i = 0; i < 50; i++) {
                    assertThat(server.httpClient("app-1", "key-1", "secret-1")
                            .trigger("news", "e", Map.of("n", i)).getHttpStatus()).isEqualTo(200);
                }
                for (int i = 0; i < 50; i++) {
                    assertThat(recorder.events.poll(10, TimeUnit.SECONDS)).as("event %d", i).isNotNull()
                            .satisfies(e -> assertThat(e.getData()).contains("\"n\":"));
                }
            } finally {
                client.disconnect();
            }
        }
    }

    @Test
    void autoPicksANativeEngineAndAnUnknownOneIsRefused() {
        try (TestServer server = TestServer.start(TestServer.DEFAULT_APPS)) {
            assertThat(server.server().ioEngine()).isIn("epoll", "io_uring");
        }
        assertThatThrownBy(() -> ConfigLoader.fromYaml("transport: kqueue\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("auto, io_uring, epoll or nio");
    }
}
