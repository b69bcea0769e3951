package dev.pushserver.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.pusher.client.Pusher;
import com.pusher.client.channel.PusherEvent;
import com.pusher.client.connection.ConnectionState;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.BrowserScript;
import dev.pushserver.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The debug console in a real browser: {@code src/test/js-browser/console.mjs} drives headless Chromium with
 * playwright-core. Without the token the page and its data refuse; with it, a pusher-websocket-java client this test
 * connects shows up, an event triggered with pusher-http-java appears in the live log, and the page's form sends an
 * event that the Java client receives. The screenshot is {@code target/console.png}.
 */
class ConsoleBrowserTest {

    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(150);

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void theConsoleShowsAConnectionAndEventsInHeadlessChromium() throws Exception {
        String chromium = BrowserScript.requireBrowser("ConsoleBrowserTest");
        Path screenshot = BrowserScript.baseDir().resolve("target/console.png");
        Files.deleteIfExists(screenshot);
        BlockingQueue<PusherEvent> received = new LinkedBlockingQueue<>();
        try (TestServer server = TestServer.start(ConsoleTest.ON)) {
            Pusher client = server.pusherClient("key-1");
            try {
                BrowserScript.Result result = BrowserScript.run("console.mjs", Map.of(
                        "CONSOLE_URL", "http://127.0.0.1:" + server.port() + "/console/",
                        "TOKEN", ConsoleTest.TOKEN,
                        "CHROMIUM", chromium,
                        "SCREENSHOT", screenshot.toString()), NODE_TIMEOUT, marker -> {
                            try {
                                return switch (marker) {
                                    case "@@console:connect" -> {
                                        client.connect();
                                        client.subscribe("orders").bind("from-console", received::add);
                                        long deadline = System.currentTimeMillis() + 10_000;
                                        while (client.getConnection().getState() != ConnectionState.CONNECTED
                                                && System.currentTimeMillis() < deadline) {
                                            Thread.sleep(20);
                                        }
                                        yield "(Java client: " + client.getConnection().getState() + ")";
                                    }
                                    case "@@console:trigger" -> {
                                        Result r = server.httpClient("app-1", "key-1", "secret-1")
                                                .trigger("orders", "order-placed", Map.of("id", 42));
                                        yield "(pusher-http-java trigger: " + r.getStatus() + ")";
                                    }
                                    case "@@console:check-form" -> {
                                        PusherEvent e = received.poll(10, TimeUnit.SECONDS);
                                        yield "(form event received by the Java client: "
                                                + (e == null ? "none" : e.getData()) + ")";
                                    }
                                    default -> null;
                                };
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return "(interrupted)";
                            }
                        });
                String all = result.output();
                assertThat(result.finished()).as("console.mjs did not finish within %s:%n%s", NODE_TIMEOUT, all)
                        .isTrue();
                assertThat(result.exitValue()).as("console.mjs exit status:%n%s", all).isZero();
                assertThat(all).contains(
                        "PASS  without the token the page shows nothing and its data refuses",
                        "PASS  a Pusher client connecting appears: count, channel and log",
                        "PASS  an event triggered through the HTTP API appears in the log with its payload",
                        "(pusher-http-java trigger: SUCCESS)",
                        "(form event received by the Java client: {\"hello\":\"from the form\"})",
                        "ALL PASSED");
                assertThat(screenshot).exists();
                assertThat(Files.size(screenshot)).isGreaterThan(1000);
            } finally {
                client.disconnect();
            }
        }
    }
}
