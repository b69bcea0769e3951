package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.PushServer;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.store.MemoryStore;
import dev.pushserver.testing.DeferredStore;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * HTTP API answers can complete out of order (a shared store answers later), but pipelined requests on one
 * connection are answered in request order, and nothing blocks the event loop meanwhile.
 */
class PipelinedApiOrderTest {

    @Test
    void aPipelinedRequestWaitsForTheAnswerOfTheOneBeforeIt() throws Exception {
        DeferredStore[] store = new DeferredStore[1];
        PushServer server = PushServer.start(ConfigLoader.fromYaml(TestServer.DEFAULT_APPS
                + "\nhost: 127.0.0.1\nport: 0\n", Map.of()), events -> store[0] = new DeferredStore(
                        new MemoryStore(events)));
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(100);
            store[0].mode(DeferredStore.Mode.ANSWER_LATER);
            s.getOutputStream().write(get(server.port(), "/apps/app-1/channels/first"));
            s.getOutputStream().flush();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> store[0].held() == 1);
            store[0].mode(DeferredStore.Mode.PASS);
            s.getOutputStream().write(get(server.port(), "/apps/app-1/channels/presence-second/users"));
            s.getOutputStream().flush();

            // the second answer is ready, but it may not overtake the first; /health meanwhile answers at once
            assertThat(PipelinedUpgradeTest.readFor(s.getInputStream(), 500, "HTTP/1.1"))
                    .as("nothing before the first answer").isEmpty();
            assertThat(SignedRequest.HTTP.send(java.net.http.HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/health")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as("the event loop is not blocked").isEqualTo(200);

            store[0].releaseAll();
            String answers = PipelinedUpgradeTest.readFor(s.getInputStream(), 5_000, "{\"users\":[]}");
            int first = answers.indexOf("{\"occupied\":false,\"subscription_count\":0}");
            int second = answers.indexOf("{\"users\":[]}");
            assertThat(first).as(answers).isGreaterThan(0);
            assertThat(second).as("answered in request order: %s", answers).isGreaterThan(first);
        } finally {
            server.stop();
        }
    }

    /** A signed GET of {@code path} (with info=subscription_count for a channel): the answer needs the store. */
    private static byte[] get(int port, String path) {
        SignedRequest r = SignedRequest.get(port, path);
        URI uri = (path.endsWith("/users") ? r : r.param("info", "subscription_count")).uri();
        return ("GET " + uri.getRawPath() + "?" + uri.getRawQuery() + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }
}
