package dev.pushserver.bench.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The receiver's byte scan on bodies in push-server's webhook format, without a server. */
@Timeout(30)
class WebhookReceiverTest {

    private static final int TAG = 4242;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String event(String data) {
        return "{\"name\":\"server_event\",\"channel\":\"bench-hook\",\"event\":\"e\",\"data\":\"" + data
                + "\",\"id\":\"abc-1\"}";
    }

    private static String body(String... events) {
        return "{\"time_ms\":1,\"events\":[" + String.join(",", events) + "]}";
    }

    private int post(WebhookReceiver r, String path, String body, String signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port() + path))
                .header("Content-Type", "application/json").header("X-Pusher-Key", "k")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (signature != null) {
            b.header("X-Pusher-Signature", signature);
        }
        HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() == 200) {
            assertThat(res.body()).isEqualTo("{}");
        }
        return res.statusCode();
    }

    private static String sign(String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("s".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return Signer.hex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void countsFirstCopiesDuplicatesReorderingAndOthers() throws Exception {
        Phase phase = new Phase();
        long now = System.nanoTime();
        phase.set(3, now - 1_000_000_000L, now + 60_000_000_000L);
        try (WebhookReceiver r = new WebhookReceiver("127.0.0.1", 0, "/webhook", "k", "s", phase, 2, TAG, true)) {
            r.resetPoint();
            long sent = System.nanoTime();
            String b1 = body(
                    event(Payload.data(3, TAG, 0, 0, sent, 64)),
                    event(Payload.data(3, TAG, 0, 2, sent, 0) + "S" + sent + ";xxxx"),
                    event("{\\\"data\\\":\\\"BQ:3:4242:0:5:1;\\\"}"), // not benchmark data: escaped JSON text
                    event(Payload.data(3, 999, 0, 7, sent, 64)), // another run's
                    event(Payload.data(2, TAG, 1, 0, sent, 64))); // the previous point's
            assertThat(post(r, "/webhook", b1, sign(b1))).isEqualTo(200);
            String b2 = body(
                    event(Payload.data(3, TAG, 0, 1, sent, 64)), // late: reordered
                    event(Payload.data(3, TAG, 0, 2, sent, 64)), // again: duplicate
                    event(Payload.data(WebhookReceiver.PROBE_POINT, TAG, 0, 0, sent, 64)));
            assertThat(post(r, "/webhook", b2, "bad")).isEqualTo(200);
            assertThat(post(r, "/other", b2, null)).isEqualTo(404);

            WebhookReceiver.Stats s = r.stats();
            assertThat(s.requests()).isEqualTo(2);
            assertThat(s.events()).isEqualTo(8);
            assertThat(s.maxEventsPerRequest()).isEqualTo(5);
            assertThat(s.unique()).isEqualTo(3);
            assertThat(s.duplicates()).isEqualTo(1);
            assertThat(s.reordered()).isEqualTo(1);
            assertThat(s.foreign()).isEqualTo(1);
            assertThat(s.stragglers()).isEqualTo(1);
            assertThat(s.otherEvents()).isEqualTo(1);
            assertThat(s.badKeys()).isZero();
            assertThat(s.badSignatures()).isEqualTo(1);
            assertThat(s.otherRequests()).isEqualTo(1);
            assertThat(s.latency().getTotalCount()).isEqualTo(3);
            assertThat(s.fromSend().getTotalCount()).isEqualTo(1);
            assertThat(r.probeArrival()).isPositive();
            assertThat(r.foreignTotal()).isEqualTo(1);

            r.resetPoint();
            assertThat(r.uniqueSoFar()).isZero();
        }
    }
}
