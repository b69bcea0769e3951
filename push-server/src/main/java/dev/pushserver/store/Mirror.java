package dev.pushserver.store;

import java.util.HashMap;
import java.util.Map;

/**
 * What one node's own clients hold in one app, kept by the node in memory: the source of truth when it registers
 * again after Redis lost track of it. Entries are the strings of the node's set in Redis ({@code s|socket|channel|user},
 * {@code u|socket|user}). Guarded by its own lock, under which operations are also sent, so that Redis sees them in
 * the order of this memory.
 */
final class Mirror {

    /** entry -> subscription */
    final Map<String, Sub> subs = new HashMap<>();
    /** entry -> user id */
    final Map<String, String> signIns = new HashMap<>();
    /**
     * What Redis confirmed and no confirmed removal has undone: the state the cluster was told about. After Redis
     * lost its data it is restored silently, and the difference to {@link #subs} is then announced.
     */
    final Map<String, Sub> confirmedSubs = new HashMap<>();
    final Map<String, String> confirmedSignIns = new HashMap<>();

    record Sub(String channel, String socketId, String userId, String userInfo) {
    }

    static String subEntry(String socketId, String channel, String userId) {
        return "s|" + socketId + "|" + channel + "|" + (userId == null ? "" : userId);
    }

    static String userEntry(String socketId, String userId) {
        return "u|" + socketId + "|" + userId;
    }
}
