package dev.pushserver.connection;

import dev.pushserver.app.App;
import dev.pushserver.app.PerApp;
import dev.pushserver.session.Session;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's open connections: by socket id, per app against its {@code max_connections}, and by user identity
 * (signed-in user or presence member) for terminate_connections. Thread-safe.
 */
public final class ConnectionRegistry {

    private final PerApp<AppConnections> apps = new PerApp<>(a -> new AppConnections());
    private final AtomicInteger total = new AtomicInteger();

    private static final class AppConnections {
        final Map<String, Connection> bySocketId = new ConcurrentHashMap<>();
        final AtomicInteger count = new AtomicInteger();
        final Map<String, Set<Connection>> byUser = new ConcurrentHashMap<>();
    }

    /** Why a session could not be registered. */
    public enum Refusal { OVER_QUOTA, SOCKET_ID_TAKEN }

    /** Registers a new connection, or says why not ({@code connection} is then null). */
    public record Admission(Connection connection, Refusal refusal) {
    }

    private volatile java.util.function.ToIntFunction<App> elsewhere = a -> 0;

    public Admission open(Session session) {
        App app = session.app();
        AppConnections a = apps.get(app);
        int max = app.config().maxConnections();
        while (true) {
            int n = a.count.get();
            if (max > 0 && n + elsewhere.applyAsInt(app) >= max) {
                return new Admission(null, Refusal.OVER_QUOTA);
            }
            if (a.count.compareAndSet(n, n + 1)) {
                break;
            }
        }
        Connection c = new Connection(session);
        if (a.bySocketId.putIfAbsent(session.socketId(), c) != null) {
            a.count.decrementAndGet();
            return new Admission(null, Refusal.SOCKET_ID_TAKEN);
        }
        total.incrementAndGet();
        return new Admission(c, null);
    }

    /** The connection has been cleaned up: its slot is free again and it is no longer any user. */
    public void closed(Connection c) {
        AppConnections a = apps.get(c.app());
        for (String userId : c.identities()) {
            a.byUser.computeIfPresent(userId, (k, set) -> {
                set.remove(c);
                return set.isEmpty() ? null : set;
            });
        }
        if (a.bySocketId.remove(c.socketId(), c)) {
            a.count.decrementAndGet();
            total.decrementAndGet();
        }
    }

    /** Open connections of {@code app} on this node. */
    public int count(App app) {
        return apps.get(app).count.get();
    }

    /** Where connections of an app on the other nodes of a cluster are counted for max_connections. */
    public void countElsewhere(java.util.function.ToIntFunction<App> elsewhere) {
        this.elsewhere = elsewhere;
    }

    /** Open connections of every app (including those still being cleaned up). */
    public int count() {
        return total.get();
    }

    public Collection<Connection> all(App app) {
        return apps.get(app).bySocketId.values();
    }

    /** Records that {@code c} is signed in or a presence member as {@code userId}. */
    public void addIdentity(String userId, Connection c) {
        apps.get(c.app()).byUser.computeIfAbsent(userId, k -> ConcurrentHashMap.newKeySet()).add(c);
    }

    /** Forgets {@code c} as {@code userId} unless it still is that user in another way ({@link Connection#isUser}). */
    public void removeIdentity(String userId, Connection c) {
        apps.get(c.app()).byUser.computeIfPresent(userId, (k, set) -> {
            if (!c.isUser(userId)) {
                set.remove(c);
            }
            return set.isEmpty() ? null : set;
        });
    }

    /** Connections signed in as, or presence members as, {@code userId}. */
    public Set<Connection> withIdentity(App app, String userId) {
        Set<Connection> s = apps.get(app).byUser.get(userId);
        return s == null ? Set.of() : Set.copyOf(s);
    }
}
