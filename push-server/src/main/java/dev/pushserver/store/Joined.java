package dev.pushserver.store;

import java.util.Map;

/**
 * What a join did.
 *
 * @param full    the presence channel has its maximum of distinct users; nothing changed
 * @param version the channel's membership version at this join: the subscription receives member events of later
 *                versions only, because its roster already accounts for the earlier ones
 * @param roster  presence members including this one (user id to user_info JSON or null), null on other channels
 * @param cached  the cached event when asked for and present, else null
 */
public record Joined(boolean full, long version, Map<String, String> roster, CachedEvent cached) {

    public static final Joined FULL = new Joined(true, 0, null, null);
}
