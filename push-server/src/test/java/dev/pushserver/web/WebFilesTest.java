package dev.pushserver.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.protocol.Signatures;
import dev.pushserver.testing.AppsYaml;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The browser client at /push.js (both paths, content type, ETag revalidation), the demo being off unless asked
 * for, and the demo's sample auth endpoint: what it signs verifies with the app's secret and the server accepts it.
 */
class WebFilesTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String APPS = AppsYaml.apps(AppsYaml.app(1, "enable_client_messages: true"));

    private static HttpResponse<String> get(int port, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(int port, String path, String type, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pushJsIsServedAtBothPathsWithCacheHeaders() throws Exception {
        try (TestServer server = TestServer.start(APPS)) {
            for (String path : new String[] {"/push.js", "/plugin/workbunny/webman-push-server/push.js"}) {
                HttpResponse<String> r = get(server.port(), path);
                assertThat(r.statusCode()).as(path).isEqualTo(200);
                assertThat(r.headers().firstValue("content-type")).hasValue("application/javascript; charset=utf-8");
                assertThat(r.headers().firstValue("cache-control")).hasValueSatisfying(v -> assertThat(v)
                        .contains("max-age"));
                assertThat(r.body()).contains("unsubscribeAll", "pusher:subscribe", "client-");
                assertThat(r.body().length()).isLessThan(16 * 1024);
                String etag = r.headers().firstValue("etag").orElseThrow();
                assertThat(etag).startsWith("\"").endsWith("\"");

                HttpResponse<String> again = get(server.port(), path, "If-None-Match", etag);
                assertThat(again.statusCode()).isEqualTo(304);
                assertThat(again.body()).isEmpty();
                assertThat(again.headers().firstValue("etag")).hasValue(etag);

                HttpResponse<String> other = get(server.port(), path, "If-None-Match", "\"other\"");
                assertThat(other.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("content-encoding")).isEmpty();
            }
        }
    }

    @Test
    void pushJsIsGzippedForClientsThatAcceptIt() throws Exception {
        try (TestServer server = TestServer.start(APPS)) {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/push.js"))
                    .header("Accept-Encoding", "gzip, deflate").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-encoding")).hasValue("gzip");
            assertThat(r.headers().firstValue("vary")).hasValueSatisfying(v -> assertThat(v.toLowerCase())
                    .contains("accept-encoding"));
            assertThat(r.body().length).as("push.js on the wire").isLessThan(6 * 1024);
            String js = new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(r.body()))
                    .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(js).contains("unsubscribeAll");
            String etag = r.headers().firstValue("etag").orElseThrow();
            assertThat(etag).endsWith("-gz\"");
            assertThat(get(server.port(), "/push.js", "If-None-Match", etag).statusCode()).isEqualTo(304);
        }
    }

    @Test
    void theDemoIsOffByDefault() throws Exception {
        try (TestServer server = TestServer.start(APPS)) {
            assertThat(get(server.port(), "/demo/").statusCode()).isEqualTo(404);
            assertThat(post(server.port(), "/subscribe/auth", "application/x-www-form-urlencoded",
                    "socket_id=1.1&channel_name=private-x").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theDemoPageUsesPushJsAndTheAppKey() throws Exception {
        try (TestServer server = TestServer.start(APPS + "demo: true\n")) {
            HttpResponse<String> r = get(server.port(), "/demo/");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
            assertThat(r.body()).contains("/push.js", "\"key-1\"", "presence-demo", "private-demo");
            assertThat(get(server.port(), "/demo").statusCode()).isIn(200, 301); // redirect followed or not
        }
    }

    @Test
    void demoAuthSignsPrivateAndPresenceSubscriptionsTheServerAccepts() throws Exception {
        try (TestServer server = TestServer.start(APPS + "demo: true\n");
                RawClient client = RawClient.connect(server.wsUrl("key-1"))) {
            String socketId = client.socketId();

            // private, as a form (what push.js sends)
            HttpResponse<String> r = post(server.port(), "/subscribe/auth", "application/x-www-form-urlencoded",
                    "socket_id=" + socketId + "&channel_name=private-demo");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode auth = RawClient.json().readTree(r.body());
            assertThat(auth.get("auth").asText()).isEqualTo("key-1:"
                    + Signatures.hmacSha256Hex("secret-1", socketId + ":private-demo"));
            client.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"private-demo\",\"auth\":\""
                    + auth.get("auth").asText() + "\"}}");
            assertThat(client.nextEvent("pusher_internal:subscription_succeeded").get("channel").asText())
                    .isEqualTo("private-demo");

            // presence, as JSON with a user chosen by the visitor
            r = post(server.port(), "/subscribe/auth", "application/json",
                    "{\"socket_id\":\"" + socketId + "\",\"channel_name\":\"presence-demo\",\"user_id\":\"ann\","
                            + "\"user_name\":\"Ann\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            auth = RawClient.json().readTree(r.body());
            String channelData = auth.get("channel_data").asText();
            assertThat(RawClient.json().readTree(channelData).get("user_id").asText()).isEqualTo("ann");
            assertThat(RawClient.json().readTree(channelData).at("/user_info/name").asText()).isEqualTo("Ann");
            assertThat(auth.get("auth").asText()).isEqualTo("key-1:"
                    + Signatures.hmacSha256Hex("secret-1", socketId + ":presence-demo:" + channelData));
            client.send(RawClient.json().createObjectNode().put("event", "pusher:subscribe")
                    .set("data", RawClient.json().createObjectNode().put("channel", "presence-demo")
                            .put("auth", auth.get("auth").asText()).put("channel_data", channelData)).toString());
            JsonNode ok = client.nextEvent("pusher_internal:subscription_succeeded");
            assertThat(ok.get("channel").asText()).isEqualTo("presence-demo");
            assertThat(ok.get("data").asText()).contains("\"ann\"");

            // presence with the seed's channel_data form field
            r = post(server.port(), "/subscribe/auth", "application/x-www-form-urlencoded",
                    "socket_id=" + socketId + "&channel_name=presence-x&channel_data="
                            + java.net.URLEncoder.encode("{\"user_id\":\"7\",\"user_info\":{\"name\":\"Bo\"}}",
                                    java.nio.charset.StandardCharsets.UTF_8));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

            // refused input
            assertThat(post(server.port(), "/subscribe/auth", "application/x-www-form-urlencoded",
                    "socket_id=" + socketId + "&channel_name=public").statusCode()).isEqualTo(400);
            assertThat(post(server.port(), "/subscribe/auth", "application/x-www-form-urlencoded",
                    "channel_name=private-a").statusCode()).isEqualTo(400);
            assertThat(post(server.port(), "/subscribe/auth", "application/x-www-form-urlencoded",
                    "socket_id=" + socketId + "&channel_name=presence-a&user_id=a%20b").statusCode())
                    .isEqualTo(400);
            assertThat(post(server.port(), "/subscribe/auth", "application/x-www-form-urlencoded",
                    "socket_id=" + socketId + "&channel_name=presence-a&channel_data=%7B%7D").statusCode())
                    .isEqualTo(400);

            // presence without a user (the seed's push.js sends none): a guest per connection
            r = post(server.port(), "/subscribe/auth", "application/x-www-form-urlencoded",
                    "socket_id=" + socketId + "&channel_name=presence-a");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(RawClient.json().readTree(RawClient.json().readTree(r.body()).get("channel_data").asText())
                    .get("user_id").asText()).isEqualTo("guest-" + socketId.replace('.', '-'));
            assertThat(get(server.port(), "/subscribe/auth").statusCode()).isEqualTo(405);
        }
    }
}
