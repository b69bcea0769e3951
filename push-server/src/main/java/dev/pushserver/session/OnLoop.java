package dev.pushserver.session;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * Continues work on a session's loop once a store answer is there. An answer that is already complete (the in-memory
 * store) is handled at once, on the calling loop, without a thread hop; a pending one is handled on the session's
 * loop when it arrives.
 */
public final class OnLoop {

    private OnLoop() {
    }

    /**
     * Runs {@code then} with the value or the failure of {@code stage}; call on the session's loop. Returns null when
     * {@code then} has already run, otherwise a stage that completes after it ran.
     */
    public static <T> CompletionStage<?> when(CompletionStage<T> stage, Session session,
            BiConsumer<? super T, Throwable> then) {
        return then(stage, session, (value, failure) -> {
            then.accept(value, failure);
            return null;
        });
    }

    /**
     * Like {@link #when}, for a continuation that may itself wait ({@code next} returns null or a stage). Returns null
     * when everything has already run, otherwise a stage that completes after the continuation's own stage.
     */
    public static <T> CompletionStage<?> then(CompletionStage<T> stage, Session session,
            BiFunction<? super T, Throwable, CompletionStage<?>> next) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        if (f.isDone()) {
            T value = null;
            Throwable failure = null;
            try {
                value = f.join();
            } catch (CompletionException | CancellationException e) {
                failure = unwrap(e);
            }
            return next.apply(value, failure);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        f.whenCompleteAsync((value, failure) -> {
            try {
                CompletionStage<?> more = next.apply(value, failure == null ? null : unwrap(failure));
                if (more == null) {
                    done.complete(null);
                } else {
                    more.whenComplete((v, e) -> done.complete(null));
                }
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, session.executor());
        return done;
    }

    /** Whether a step's result means it has finished (null or a completed stage). */
    public static boolean isDone(CompletionStage<?> stage) {
        return stage == null || stage.toCompletableFuture().isDone();
    }

    public static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
