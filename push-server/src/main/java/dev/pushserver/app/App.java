package dev.pushserver.app;

import dev.pushserver.channel.AppChannels;
import dev.pushserver.channel.EventCache;
import dev.pushserver.config.AppConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.user.AppUsers;
import java.util.HashSet;
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
    /** user id -> connections that are presence members as that user */
    private final Map<String, Set<Connection>> presenceUsers = new ConcurrentHashMap<>();
    private final AppUsers users = new AppUsers();
    private final EventCache cache = new EventCache();

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

    /** Signed-in users and watchlists. */
    public AppUsers users() {
        return users;
    }

    /** Last events of cache channels. */
    public EventCache cache() {
        return cache;
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

    public void addPresenceConnection(String userId, Connection c) {
        presenceUsers.computeIfAbsent(userId, k -> ConcurrentHashMap.newKeySet()).add(c);
    }

    public void removePresenceConnection(String userId, Connection c) {
        presenceUsers.computeIfPresent(userId, (k, set) -> {
            set.remove(c);
            return set.isEmpty() ? null : set;
        });
    }

    /** Connections signed in as, or presence members as, {@code userId} (terminate_connections). */
    public Set<Connection> userConnections(String userId) {
        Set<Connection> out = new HashSet<>(users.connections(userId));
        Set<Connection> presence = presenceUsers.get(userId);
        if (presence != null) {
            out.addAll(presence);
        }
        return out;
    }
}
