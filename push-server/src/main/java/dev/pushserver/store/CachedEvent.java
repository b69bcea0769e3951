package dev.pushserver.store;

/**
 * The last event of a cache channel (reference §2.10).
 *
 * @param message the encoded message replayed to new subscribers
 * @param data    the event's data, for the HTTP API's {@code info=cache}
 */
public record CachedEvent(byte[] message, String data, long expiresAtMillis) {

    public long ttlSeconds(long nowMillis) {
        return Math.max(0, (expiresAtMillis - nowMillis + 999) / 1000);
    }

    public boolean expired(long nowMillis) {
        return expiresAtMillis <= nowMillis;
    }
}
