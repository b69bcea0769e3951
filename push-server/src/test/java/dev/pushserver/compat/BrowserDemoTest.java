package dev.pushserver.compat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.testing.AppsYaml;
import dev.pushserver.testing.BrowserScript;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo page and push.js in a real browser: {@code src/test/js-browser/demo.mjs} drives headless Chromium (the
 * Debian {@code chromium} package) with playwright-core. Two visitors join the presence channel and see each other,
 * exchange client events, and receive an event this test triggers through the signed HTTP API when the script prints
 * {@code @@browser:trigger}. A screenshot of the page with two members is saved as
 * {@code target/demo-two-members.png}.
 *
 * <p>Chromium, node and npm as {@link BrowserScript} finds them (installing Chromium with apt-get where it can).
 */
class BrowserDemoTest {

    private static final String APPS = AppsYaml.apps(AppsYaml.app(1, "enable_client_messages: true"));
    private static final String TRIGGER_MARKER = "@@browser:trigger";
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(120);

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void twoVisitorsChatOnTheDemoPageInHeadlessChromium() throws Exception {
        String chromium = BrowserScript.requireBrowser("BrowserDemoTest");
        Path screenshot = BrowserScript.baseDir().resolve("target/demo-two-members.png");
        Files.deleteIfExists(screenshot);

        try (TestServer server = TestServer.start(APPS + "demo: true\n")) {
            int port = server.port();
            BrowserScript.Result result = BrowserScript.run("demo.mjs", Map.of(
                    "DEMO_URL", "http://127.0.0.1:" + port + "/demo/",
                    "CHROMIUM", chromium,
                    "SCREENSHOT", screenshot.toString()), NODE_TIMEOUT, marker -> {
                        if (!marker.equals(TRIGGER_MARKER)) {
                            return null;
                        }
                        SignedRequest.Response r = SignedRequest.post(server.apiPort(), "/apps/app-1/events",
                                "{\"name\":\"announcement\",\"channels\":[\"demo\"],"
                                        + "\"data\":\"{\\\"text\\\":\\\"hello from the HTTP API\\\"}\"}")
                                .credentials("key-1", "secret-1").send();
                        return "(HTTP API trigger: " + r.status() + " " + r.body() + ")";
                    });
            String all = result.output();
            assertThat(result.finished()).as("demo.mjs did not finish within %s:%n%s", NODE_TIMEOUT, all).isTrue();
            assertThat(result.exitValue()).as("demo.mjs exit status:%n%s", all).isZero();
            assertThat(all).contains("PASS  presence: both visitors see both members",
                    "PASS  an event triggered through the HTTP API reaches both pages", "ALL PASSED");
            assertThat(screenshot).exists();
            assertThat(Files.size(screenshot)).isGreaterThan(1000);
        }
    }
}
