package dev.pushserver.hook;

import dev.pushserver.app.App;
import java.util.List;

/**
 * Events of one app for one destination, in the order they happened; delivered together.
 *
 * @param target   the destination's key (e.g. {@code webhook:app-id:0}), also shown in dead letters
 * @param attempt  1 for the first delivery, more for retries
 */
public record HookBatch(App app, String target, int attempt, List<HookEvent> events) {

    public HookBatch {
        events = List.copyOf(events);
    }
}
