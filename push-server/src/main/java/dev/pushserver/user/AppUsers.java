package dev.pushserver.user;

import dev.pushserver.connection.Connection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Signed-in users of one app and who watches them. Online means signed in on at least one connection; the
 * transitions are decided inside an atomic per-user update so online/offline notifications cannot cross.
 */
public final class AppUsers {

    private final Map<String, Set<Connection>> signedIn = new ConcurrentHashMap<>();
    private final Map<String, Set<Connection>> watchers = new ConcurrentHashMap<>();

    /** Adds a signed-in connection; {@code onOnline} runs (atomically) when it is the user's first. */
    public void signIn(String userId, Connection c, Consumer<String> onOnline) {
        signedIn.compute(userId, (k, set) -> {
            boolean first = set == null;
            if (first) {
                set = ConcurrentHashMap.newKeySet();
            }
            set.add(c);
            if (first) {
                onOnline.accept(userId);
            }
            return set;
        });
    }

    /** Removes a signed-in connection; {@code onOffline} runs (atomically) when it was the user's last. */
    public void signOut(String userId, Connection c, Consumer<String> onOffline) {
        signedIn.computeIfPresent(userId, (k, set) -> {
            if (!set.remove(c)) {
                return set;
            }
            if (set.isEmpty()) {
                onOffline.accept(userId);
                return null;
            }
            return set;
        });
    }

    public boolean isOnline(String userId) {
        return signedIn.containsKey(userId);
    }

    public Set<Connection> connections(String userId) {
        Set<Connection> s = signedIn.get(userId);
        return s == null ? Set.of() : Set.copyOf(s);
    }

    public void watch(Connection c, List<String> ids) {
        for (String id : ids) {
            watchers.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(c);
        }
    }

    public void unwatch(Connection c, List<String> ids) {
        for (String id : ids) {
            watchers.computeIfPresent(id, (k, set) -> {
                set.remove(c);
                return set.isEmpty() ? null : set;
            });
        }
    }

    public Set<Connection> watchersOf(String userId) {
        Set<Connection> s = watchers.get(userId);
        return s == null ? Set.of() : s;
    }
}
