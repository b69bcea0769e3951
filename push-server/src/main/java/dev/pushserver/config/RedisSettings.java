package dev.pushserver.config;

/**
 * Redis, when the deployment has one.
 *
 * @param url    {@code redis://[:password@]host[:port][/database]} or {@code rediss://} for TLS; null: no Redis (one
 *               node, hook events in SQLite only)
 * @param prefix put before every key, so that several deployments can share one Redis
 */
public record RedisSettings(String url, String prefix) {

    public boolean enabled() {
        return url != null;
    }
}
