package dev.pushserver.user;

import dev.pushserver.app.App;
import dev.pushserver.app.PerApp;
import dev.pushserver.connection.Connection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** This node's connections that watch each user id (their signed-in watchlists). Thread-safe. */
public final class Watchers {

    private final PerApp<Map<String, Set<Connection>>> apps = new PerApp<>(a -> new ConcurrentHashMap<>());

    public void watch(Connection c, List<String> ids) {
        Map<String, Set<Connection>> watchers = apps.get(c.app());
        for (String id : ids) {
            watchers.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(c);
        }
    }

    public void unwatch(Connection c, List<String> ids) {
        Map<String, Set<Connection>> watchers = apps.get(c.app());
        for (String id : ids) {
            watchers.computeIfPresent(id, (k, set) -> {
                set.remove(c);
                return set.isEmpty() ? null : set;
            });
        }
    }

    public Set<Connection> of(App app, String userId) {
        Set<Connection> s = apps.get(app).get(userId);
        return s == null ? Set.of() : s;
    }
}
