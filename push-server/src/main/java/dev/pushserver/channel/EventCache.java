package dev.pushserver.channel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last event of each cache channel of one app (reference §2.10), kept for {@code cache_ttl} seconds whether or
 * not the channel is occupied. Expired entries are dropped when read and by {@link #evictExpired}.
 */
public final class EventCache {

    /** The encoded message to replay, the raw data (for the HTTP API's info=cache) and when it expires. */
    public record Entry(byte[] message, String data, long expiresAtMillis) {
        public long ttlSeconds(long nowMillis) {
            return Math.max(0, (expiresAtMillis - nowMillis + 999) / 1000);
        }
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    public void put(String channel, byte[] message, String data, long ttlSeconds) {
        entries.put(channel, new Entry(message, data, System.currentTimeMillis() + ttlSeconds * 1000));
    }

    /** The live entry, or null. */
    public Entry get(String channel) {
        Entry e = entries.get(channel);
        if (e != null && e.expiresAtMillis <= System.currentTimeMillis()) {
            entries.remove(channel, e);
            return null;
        }
        return e;
    }

    public void evictExpired() {
        long now = System.currentTimeMillis();
        entries.values().removeIf(e -> e.expiresAtMillis <= now);
    }
}
