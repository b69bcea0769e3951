package dev.pushserver.hook;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/** A user's hook handler, loaded by class name from {@code hook_handlers}: it keeps every batch it is given. */
public final class RecordingHandler implements HookHandler {

    /** Batches received by any instance (the server creates its own). */
    public static final List<HookBatch> BATCHES = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
        return "recorder";
    }

    @Override
    public boolean wants(dev.pushserver.app.App app, String type, String channel) {
        return !type.equals("subscription_count");
    }

    @Override
    public CompletionStage<Void> handle(HookBatch batch) {
        BATCHES.add(batch);
        return CompletableFuture.completedFuture(null);
    }
}
