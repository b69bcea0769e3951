package dev.pushserver.api;

import static dev.pushserver.api.ApiSupport.EVENTS;
import static dev.pushserver.api.ApiSupport.assertNothingDelivered;
import static dev.pushserver.api.ApiSupport.single;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.pusher.rest.data.Result;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code GET /} and {@code /health}, and the separate {@code api_port}. */
class HealthTest {

    static SignedRequest.Response plain(String method, int port, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).method(method, HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> r = SignedRequest.HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        return new SignedRequest.Response(r.statusCode(), r.body(), r.headers());
    }

    @Test
    void rootAndHealthAnswer200Json() throws Exception {
        try (TestServer server = TestServer.start()) {
            for (String path : new String[] {"/", "/health"}) {
                SignedRequest.Response r = plain("GET", server.port(), path);
                assertThat(r.status()).as("%s for %s", r, path).isEqualTo(200);
                assertThat(r.contentType()).startsWith("application/json");
                assertThat(r.json().isObject()).isTrue();
            }
            SignedRequest.Response post = plain("POST", server.port(), "/health");
            assertThat(post.status()).as("%s", post).isEqualTo(405);
            post.error();
            SignedRequest.Response unknown = plain("GET", server.port(), "/no-such-page");
            assertThat(unknown.status()).as("%s", unknown).isEqualTo(404);
            unknown.error();
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void separateApiPortServesTheApiAndOnlyThat() throws Exception {
        int apiPort = freePort();
        try (TestServer server = TestServer.start("api_port: " + apiPort + "\n" + TestServer.DEFAULT_APPS);
                com.pusher.rest.Pusher sdk = server.httpClient("app-1", "key-1", "secret-1");
                Subscriber sub = Subscriber.connect(server).subscribe("split")) {
            assertThat(server.apiPort()).isEqualTo(apiPort).isNotEqualTo(server.port());

            // the API on its own port
            Result r = sdk.trigger("split", "via-api-port", Map.of("a", 1));
            assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
            assertThat(sub.nextEvent().get("event").asText()).isEqualTo("via-api-port");
            assertThat(SignedRequest.get(apiPort, "/apps/app-1/channels").send().json())
                    .isEqualTo(SignedRequest.JSON.readTree("{\"channels\":{\"split\":{}}}"));

            // not on the WebSocket port
            SignedRequest.Response onWs = SignedRequest.post(server.port(), EVENTS,
                    single("via-ws-port", "split", "d").toString()).send();
            assertThat(onWs.status()).as("%s", onWs).isEqualTo(404);
            onWs.error();
            assertThat(SignedRequest.get(server.port(), "/apps/app-1/channels").send().status()).isEqualTo(404);
            assertNothingDelivered(apiPort, "split", sub);

            // and no WebSocket on the API port
            assertThatThrownBy(() -> RawClient.connect("ws://127.0.0.1:" + apiPort
                    + "/app/key-1?protocol=7&client=js&version=8.4.0")).isInstanceOf(Exception.class);
            SignedRequest.Response wsPathOnApi = plain("GET", apiPort, "/app/key-1?protocol=7");
            assertThat(wsPathOnApi.status()).as("%s", wsPathOnApi).isEqualTo(404);

            // health on the WebSocket port still works
            assertThat(plain("GET", server.port(), "/health").status()).isEqualTo(200);
        }
    }
}
