package dev.pushserver.hook;

import dev.pushserver.app.App;
import dev.pushserver.config.WebhookConfig;
import dev.pushserver.event.ChannelEvent.WebhookSent;
import dev.pushserver.event.EventStream;
import dev.pushserver.event.EventType;
import dev.pushserver.protocol.Signatures;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Posts batches to one webhook in Pusher's format (reference §5.1): {@code {"time_ms":…,"events":[…]}} in compact
 * JSON, {@code Content-Type: application/json}, {@code X-Pusher-Key} and {@code X-Pusher-Signature} (hex HMAC-SHA256
 * of the exact body with the app's secret). Any 2xx within {@code webhook_timeout} is success.
 */
final class WebhookSender implements HookHandler {

    private final App app;
    private final int index;
    private final WebhookConfig webhook;
    private final HttpClient http;
    private final Duration timeout;
    /** where each delivery is announced (the debug console), or null */
    private final EventStream events;

    WebhookSender(App app, int index, WebhookConfig webhook, HttpClient http, Duration timeout, EventStream events) {
        this.events = events;
        this.app = app;
        this.index = index;
        this.webhook = webhook;
        this.http = http;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "webhook:" + app.id() + ":" + index;
    }

    /** The event types this webhook takes. */
    Set<String> types() {
        return webhook.eventTypes();
    }

    @Override
    public boolean wants(App app, String type, String channel) {
        return app == this.app && webhook.wants(type, channel);
    }

    @Override
    public CompletionStage<Void> handle(HookBatch batch) {
        byte[] body = body(System.currentTimeMillis(), batch);
        HttpRequest.Builder request = HttpRequest.newBuilder(webhook.url())
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("X-Pusher-Key", app.key())
                .header("X-Pusher-Signature", Signatures.hmacSha256Hex(app.secret(), body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        webhook.headers().forEach(request::header);
        CompletableFuture<Void> done = new CompletableFuture<>();
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            announce(batch, response == null ? 0 : response.statusCode(), failure);
            if (failure != null) {
                done.completeExceptionally(failure);
            } else if (response.statusCode() / 100 != 2) {
                done.completeExceptionally(new IllegalStateException(webhook.url() + " answered "
                        + response.statusCode()));
            } else {
                done.complete(null);
            }
        });
        return done;
    }

    private void announce(HookBatch batch, int status, Throwable failure) {
        if (events == null || !events.wants(app, EventType.WEBHOOK_SENT)) {
            return;
        }
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < batch.events().size(); i++) {
            names.append(i > 0 ? "," : "").append(batch.events().get(i).name());
        }
        String error = failure == null ? null : failure.toString();
        String url = webhook.url().toString();
        events.emit(app, EventType.WEBHOOK_SENT, (seq, t) -> new WebhookSent(app, url, status, error,
                batch.events().size(), names.toString(), t, seq));
    }

    /** The body: the events' JSON as stored, in order, under the time of this delivery. */
    static byte[] body(long timeMillis, HookBatch batch) {
        StringBuilder json = new StringBuilder(64 + 96 * batch.events().size());
        json.append("{\"time_ms\":").append(timeMillis).append(",\"events\":[");
        for (int i = 0; i < batch.events().size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append(batch.events().get(i).json());
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return name() + " -> " + webhook.url();
    }
}
