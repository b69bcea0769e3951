package dev.pushserver.app;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** One piece of run-time state per app, created on first use; how each component keeps apps apart. */
public final class PerApp<T> {

    private final Map<App, T> values = new ConcurrentHashMap<>();
    private final Function<App, T> create;

    public PerApp(Function<App, T> create) {
        this.create = create;
    }

    public T get(App app) {
        T v = values.get(app);
        return v != null ? v : values.computeIfAbsent(app, create);
    }

    public Collection<T> all() {
        return values.values();
    }
}
