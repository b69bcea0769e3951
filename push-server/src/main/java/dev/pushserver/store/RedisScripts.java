package dev.pushserver.store;

import dev.pushserver.redis.Script;

/**
 * The Lua scripts of the cluster-wide store. Each decides one transition atomically in Redis, so that whichever
 * node runs it, exactly one node learns that a channel became occupied or vacated, or that a user's first or last
 * connection came or went. All keys of a script belong to one app and share its hash tag.
 *
 * <p>Per app {@code A = <prefix>{<app id>}:}: {@code A ch} (hash channel -> subscriptions), {@code A m:<channel>}
 * (hash user -> user_info), {@code A mc:<channel>} (hash user -> connections), {@code A u} (hash user -> signed-in
 * connections), {@code A v} (last membership version), {@code A cache:<channel>} (hash m, d with an expiry),
 * {@code A conn} (hash node -> connections) and one set per node incarnation, {@code A n:<node>}, of what that
 * node registered ({@code s|socket|channel|user} and {@code u|socket|user}): the entries make every operation
 * idempotent and let the survivors remove a dead node's connections.
 */
final class RedisScripts {

    private RedisScripts() {
    }

    /** Membership versions: microseconds of Redis's clock, strictly increasing per app, even across a restart. */
    private static final String VERSION = """
            local function version(key)
              local t = redis.call('TIME')
              local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
              local last = tonumber(redis.call('GET', key) or '0')
              if v <= last then v = last + 1 end
              redis.call('SET', key, string.format('%.0f', v))
              return v
            end
            """;

    /** KEYS: node set, ch, m:c, mc:c, v, cache:c. ARGV: entry, channel, user or '', user_info, max members, read cache. */
    static final Script JOIN = Script.of(VERSION + """
            local user = ARGV[3]
            local added = redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0
            if added and user ~= '' and redis.call('HEXISTS', KEYS[4], user) == 0
                and redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[5]) then
              return {-1}
            end
            local v = version(KEYS[5])
            local occupied, memberAdded, count = 0, 0, 0
            if added then
              redis.call('SADD', KEYS[1], ARGV[1])
              count = redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
              if count == 1 then occupied = 1 end
              if user ~= '' and redis.call('HINCRBY', KEYS[4], user, 1) == 1 then
                redis.call('HSET', KEYS[3], user, ARGV[4])
                memberAdded = 1
              end
            else
              count = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
            end
            local roster = {}
            if user ~= '' then roster = redis.call('HGETALL', KEYS[3]) end
            local cached = {}
            if ARGV[6] == '1' then
              local c = redis.call('HMGET', KEYS[6], 'm', 'd')
              local ttl = redis.call('PTTL', KEYS[6])
              if c[1] and ttl > 0 then cached = {c[1], c[2] or '', ttl} end
            end
            return {v, added and 1 or 0, occupied, memberAdded, count, roster, cached}
            """);

    /** KEYS: node set, ch, m:c, mc:c, v, previous node set. ARGV: entry, channel, user or ''. */
    static final Script LEAVE = Script.of(VERSION + """
            if redis.call('SREM', KEYS[1], ARGV[1]) == 0 and redis.call('SREM', KEYS[6], ARGV[1]) == 0 then
              return {0}
            end
            local v = version(KEYS[5])
            local removed = 0
            local user = ARGV[3]
            if user ~= '' then
              local n = redis.call('HINCRBY', KEYS[4], user, -1)
              if n <= 0 then
                redis.call('HDEL', KEYS[4], user)
                redis.call('HDEL', KEYS[3], user)
                removed = 1
              end
            end
            local count = redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
            local vacated = 0
            if count <= 0 then
              redis.call('HDEL', KEYS[2], ARGV[2])
              redis.call('DEL', KEYS[3], KEYS[4])
              vacated = 1
              count = 0
            end
            return {1, v, removed, count, vacated}
            """);

    /** KEYS: node set, u. ARGV: entry, user. 0: already signed in, 1: signed in, 2: and the user's first. */
    static final Script SIGN_IN = Script.of("""
            if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
            if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then return 2 end
            return 1
            """);

    /** KEYS: node set, u, previous node set. ARGV: entry, user. 0: not signed in, 1: signed out, 2: and the last. */
    static final Script SIGN_OUT = Script.of("""
            if redis.call('SREM', KEYS[1], ARGV[1]) == 0 and redis.call('SREM', KEYS[3], ARGV[1]) == 0 then
              return 0
            end
            local n = redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
            if n <= 0 then
              redis.call('HDEL', KEYS[2], ARGV[2])
              return 2
            end
            return 1
            """);

    /** KEYS: ch, m:c. ARGV: channel. {subscriptions, users}. */
    static final Script CHANNEL = Script.of("""
            return {tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0'), redis.call('HLEN', KEYS[2])}
            """);

    /**
     * KEYS: ch. ARGV: name prefix or '', limit, the app's key prefix. Flat {name, subscriptions, users, ...}; the
     * user counts of presence channels are read from keys of the same app (same slot).
     */
    static final Script CHANNELS = Script.of("""
            local out = {}
            local all = redis.call('HGETALL', KEYS[1])
            local n, limit, prefix = 0, tonumber(ARGV[2]), ARGV[1]
            for i = 1, #all, 2 do
              local name = all[i]
              if prefix == '' or string.sub(name, 1, #prefix) == prefix then
                if n >= limit then break end
                local users = 0
                if string.sub(name, 1, 9) == 'presence-' then users = redis.call('HLEN', ARGV[3] .. 'm:' .. name) end
                out[#out + 1] = name
                out[#out + 1] = tonumber(all[i + 1])
                out[#out + 1] = users
                n = n + 1
              end
            end
            return out
            """);

    /** KEYS: cache:c. ARGV: message, data, expires at (ms since the epoch). */
    static final Script CACHE = Script.of("""
            redis.call('HSET', KEYS[1], 'm', ARGV[1], 'd', ARGV[2])
            redis.call('PEXPIREAT', KEYS[1], ARGV[3])
            return 1
            """);

    /**
     * KEYS: rl:limit. ARGV: cost in microseconds. {@link RateBudget}'s arithmetic on Redis's clock, so that every
     * node takes from one budget: 0 when taken, else the microseconds to wait.
     */
    static final Script TAKE = Script.of("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
            if tat < now then tat = now end
            local nxt = tat + tonumber(ARGV[1])
            if nxt - now > 1000000 then return nxt - now - 1000000 end
            redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1)
            return 0
            """);

    /** KEYS: cache:c. {message, data, ttl ms} or {}. */
    static final Script CACHED = Script.of("""
            local c = redis.call('HMGET', KEYS[1], 'm', 'd')
            local ttl = redis.call('PTTL', KEYS[1])
            if c[1] and ttl > 0 then return {c[1], c[2] or '', ttl} end
            return {}
            """);

    /**
     * KEYS: nodes. ARGV: this incarnation, node timeout ms. Renews this node's deadline; returns {fresh, dead}:
     * fresh is 1 when the node was absent or past its deadline (Redis lost it, or the others declared it dead), dead
     * lists incarnations past their deadline.
     */
    static final Script HEARTBEAT = Script.of("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            local fresh = 0
            if (not s) or tonumber(s) < now then fresh = 1 end
            return {fresh, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 16)}
            """);
}
