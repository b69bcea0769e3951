package dev.pushserver.api;

import dev.pushserver.app.App;
import dev.pushserver.config.AppConfig;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.protocol.LogText;
import dev.pushserver.store.MembershipStore;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API's per-app rate limits ({@code max_backend_events_per_second}, {@code max_read_requests_per_second}):
 * budgets kept by the membership store, so that in a cluster every node takes from the same one.
 */
public final class ApiLimits {

    private static final Logger log = LoggerFactory.getLogger(ApiLimits.class);

    /**
     * The HTTP API's per-app budgets: the config key, and the metric limit that counts refusals (its label also
     * names the budget in the store).
     */
    enum Limit {
        BACKEND_EVENTS("max_backend_events_per_second", dev.pushserver.metrics.Limit.BACKEND_EVENTS),
        READ_REQUESTS("max_read_requests_per_second", dev.pushserver.metrics.Limit.READ_REQUESTS);

        final String key;
        final dev.pushserver.metrics.Limit metric;

        Limit(String key, dev.pushserver.metrics.Limit metric) {
            this.key = key;
            this.metric = metric;
        }

        int perSecond(AppConfig cfg) {
            return this == BACKEND_EVENTS ? cfg.maxBackendEventsPerSecond() : cfg.maxReadRequestsPerSecond();
        }
    }

    private final MembershipStore store;
    private final PushMetrics metrics;

    ApiLimits(MembershipStore store, PushMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * Runs {@code work} when {@code amount} fits in the app's budget for {@code limit}, else answers 429 with
     * {@code Retry-After}. Unlimited (0) costs nothing. If the shared store cannot answer, the request goes through:
     * a limit protects the server, and refusing every request while Redis is away would not.
     */
    CompletionStage<byte[]> within(App app, Limit limit, int amount, Supplier<CompletionStage<byte[]>> work) {
        int perSecond = limit.perSecond(app.config());
        if (perSecond == 0) {
            return work.get();
        }
        if (amount > perSecond) {
            metrics.app(app).rateLimited(limit.metric);
            throw new ApiError(ApiError.TOO_MANY_REQUESTS, "This request publishes " + amount + " events at once, "
                    + "more than " + limit.key + " (" + perSecond + ") allows: split it into smaller requests",
                    Map.of("Retry-After", "1"));
        }
        return store.take(app, limit.metric.label(), amount, perSecond).exceptionally(failure -> {
            log.warn("rate limit {} of app {} not checked (letting the request through): {}", limit.key,
                    LogText.of(app.id()), failure.toString());
            return 0L;
        }).thenCompose(wait -> {
            if (wait > 0) {
                metrics.app(app).rateLimited(limit.metric);
                long seconds = Math.max(1, (wait + 999_999) / 1_000_000);
                throw new ApiError(ApiError.TOO_MANY_REQUESTS, "Too many requests: over " + limit.key + " ("
                        + perSecond + "); retry after " + seconds + " s", Map.of("Retry-After",
                                Long.toString(seconds)));
            }
            return work.get();
        });
    }
}
