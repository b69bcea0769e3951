package dev.pushserver.hook;

import dev.pushserver.app.App;
import java.util.concurrent.CompletionStage;

/**
 * Receives hook events, in batches per app, after they were made durable: the webhook sender is one; a user's
 * handler (found by {@link java.util.ServiceLoader} or named in {@code hook_handlers}) can feed Kafka, a database or
 * anything else. Delivery is at least once: a batch whose stage fails (or that throws) is retried with back-off for
 * {@code webhook_retry_period}, then dead-lettered; each event keeps its id across retries.
 */
public interface HookHandler {

    /** A short name, used in the destination key, in logs and in dead letters. */
    String name();

    /** Whether this handler wants events of {@code type} on {@code channel} of {@code app}; all by default. */
    default boolean wants(App app, String type, String channel) {
        return true;
    }

    /**
     * Handles one batch; completes when the events are safely handled, exceptionally to have the batch retried.
     * Must not block: do I/O asynchronously, or on an executor of its own.
     */
    CompletionStage<Void> handle(HookBatch batch);
}
