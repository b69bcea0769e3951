package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pushserver.config.ConfigException;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-app allowed WebSocket origins: a browser page from another origin is closed with Pusher's 4009 after the
 * upgrade (with a pusher:error saying why); listed origins, wildcards, any case and clients without an Origin header
 * (servers, SDKs) connect; an app without the list accepts any origin.
 */
class AllowedOriginsTest {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start("apps:\n"
                + "  - id: app-1\n    key: key-1\n    secret: secret-1\n"
                + "    allowed_origins: [\"https://app.example.com\", \"https://*.example.org\"]\n"
                + "  - id: app-2\n    key: key-2\n    secret: secret-2\n");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The first text message and the close code (null when still open after it). */
    private record Outcome(String first, Integer closeCode) {
    }

    private static Outcome connect(String key, String origin) throws Exception {
        List<String> texts = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder();
        if (origin != null) {
            b.header("Origin", origin);
        }
        WebSocket ws = b.buildAsync(URI.create(server.wsUrl(key)), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                texts.add(data.toString());
                w.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
                closed.complete(code);
                return null;
            }
        }).get(5, TimeUnit.SECONDS);
        Integer code = null;
        try {
            code = closed.get(1, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            ws.abort(); // still open: accepted
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (texts.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return new Outcome(texts.isEmpty() ? null : texts.get(0), code);
    }

    @Test
    void listedOriginsConnect() throws Exception {
        for (String origin : List.of("https://app.example.com", "https://eu.example.org", "HTTPS://APP.EXAMPLE.COM")) {
            Outcome o = connect("key-1", origin);
            assertThat(o.first()).as(origin).contains("pusher:connection_established");
            assertThat(o.closeCode()).as(origin).isNull();
        }
    }

    @Test
    void anotherOriginIsClosedWith4009AfterTheUpgrade() throws Exception {
        for (String origin : List.of("https://evil.com", "https://app.example.com.evil.com", "http://app.example.com",
                "https://example.org")) {
            Outcome o = connect("key-1", origin);
            assertThat(o.first()).as(origin).contains("pusher:error").contains("4009").contains("Origin not allowed");
            assertThat(o.closeCode()).as(origin).isEqualTo(4009);
        }
    }

    @Test
    void clientsWithoutAnOriginAndAppsWithoutAListConnect() throws Exception {
        assertThat(connect("key-1", null).first()).contains("pusher:connection_established");
        assertThat(connect("key-2", "https://anything.test").first()).contains("pusher:connection_established");
    }

    @Test
    void aMalformedOriginPatternStopsTheStartNamingTheKey() {
        assertThatThrownBy(() -> ConfigLoader.fromYaml("apps:\n  - id: a\n    key: k\n    secret: s\n"
                + "    allowed_origins: [example.com]\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("apps[0].allowed_origins")
                .hasMessageContaining("example.com");
    }
}
