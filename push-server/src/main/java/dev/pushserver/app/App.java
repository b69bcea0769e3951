package dev.pushserver.app;

import dev.pushserver.channel.AppChannels;
import dev.pushserver.config.AppConfig;
import dev.pushserver.connection.Connection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A tenant at run time: its configuration plus its live connections and channels, isolated from other apps. */
public final class App {

    private final AppConfig config;
    private final AppChannels channels;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();
    private final AtomicInteger connectionCount = new AtomicInteger();
    /** user id -> connections that are presence members (later also signed in) as that user */
    private final Map<String, Set<Connection>> users = new ConcurrentHashMap<>();

    public App(AppConfig config, int loopCount) {
        this.config = config;
        this.channels = new AppChannels(loopCount);
    }

    public AppConfig config() {
        return config;
    }

    public String id() {
        return config.id();
    }

    public String key() {
        return config.key();
    }

    public String secret() {
        return config.secret();
    }

    public AppChannels channels() {
        return channels;
    }

    /** Reserves a connection slot; false when the app is at {@code max_connections}. */
    public boolean tryReserveConnection() {
        int max = config.maxConnections();
        while (true) {
            int n = connectionCount.get();
            if (max > 0 && n >= max) {
                return false;
            }
            if (connectionCount.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    public void releaseConnection() {
        connectionCount.decrementAndGet();
    }

    public int connectionCount() {
        return connectionCount.get();
    }

    /** Registers a connection under its socket id; false if the id is taken (the caller picks another). */
    public boolean register(Connection c) {
        return connections.putIfAbsent(c.socketId(), c) == null;
    }

    public void unregister(Connection c) {
        connections.remove(c.socketId(), c);
    }

    public Iterable<Connection> connections() {
        return connections.values();
    }

    public void addUserConnection(String userId, Connection c) {
        users.computeIfAbsent(userId, k -> ConcurrentHashMap.newKeySet()).add(c);
    }

    public void removeUserConnection(String userId, Connection c) {
        users.computeIfPresent(userId, (k, set) -> {
            set.remove(c);
            return set.isEmpty() ? null : set;
        });
    }

    public Set<Connection> userConnections(String userId) {
        Set<Connection> s = users.get(userId);
        return s == null ? Set.of() : Set.copyOf(s);
    }
}
