package dev.pushserver.channel;

import dev.pushserver.protocol.ChannelType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One occupied channel of one app. Subscribers are kept per event loop in arrays that only that loop touches, so
 * fan-out needs no lock; the counts and presence members are shared by all loops and guarded by this object.
 */
public final class ChannelState {

    final String name;
    final ChannelType type;
    private final LoopSubscribers[] loops;

    // guarded by this
    private int subscriptions;
    private final Map<String, Member> members;
    private boolean removed;
    /** advanced under the lock by every join; read without it by publishers */
    private volatile long epoch;
    private long countSentNanos;
    private boolean countPending;

    /** Above this many subscribers subscription_count events are throttled. */
    static final int COUNT_THROTTLE_ABOVE = 100;
    static final long COUNT_THROTTLE_NANOS = 5_000_000_000L;

    ChannelState(String name, int loopCount) {
        this.name = name;
        this.type = ChannelType.of(name);
        this.loops = new LoopSubscribers[loopCount];
        for (int i = 0; i < loopCount; i++) {
            loops[i] = new LoopSubscribers();
        }
        this.members = type == ChannelType.PRESENCE ? new LinkedHashMap<>() : null;
    }

    public String name() {
        return name;
    }

    public ChannelType type() {
        return type;
    }

    /** Subscribers on loop {@code i}; call only on that loop. */
    public LoopSubscribers subscribersOn(int i) {
        return loops[i];
    }

    /** Cheap cross-thread check used to skip loops with nobody to deliver to. */
    public boolean hasSubscribersOn(int i) {
        return loops[i].size() > 0;
    }

    public synchronized int subscriptionCount() {
        return subscriptions;
    }

    public synchronized int userCount() {
        return members == null ? 0 : members.size();
    }

    /** Distinct presence user ids, in join order. */
    public synchronized List<String> userIds() {
        return members == null ? List.of() : new ArrayList<>(members.keySet());
    }

    // ---- mutations: called by AppChannels only -------------------------------------------------------------

    /**
     * The membership version a message is published against: delivery skips subscriptions that joined later,
     * so a new subscriber never receives an event that its own subscription_succeeded already accounts for.
     */
    public long epoch() {
        return epoch;
    }

    /** Under the lock: a join makes a new membership version. */
    long advanceEpoch() {
        return ++epoch;
    }

    public synchronized boolean isRemoved() {
        return removed;
    }

    /**
     * Decides when the next subscription_count event may go: 0 = now (and records it), a positive delay = schedule
     * one send after it, -1 = one is already scheduled.
     */
    synchronized long subscriptionCountDelay(long now) {
        if (countPending) {
            return -1;
        }
        long wait = countSentNanos + COUNT_THROTTLE_NANOS - now;
        if (subscriptions <= COUNT_THROTTLE_ABOVE || countSentNanos == 0 || wait <= 0) {
            countSentNanos = now;
            return 0;
        }
        countPending = true;
        return wait;
    }

    synchronized void subscriptionCountSent(long now) {
        countPending = false;
        countSentNanos = now;
    }

    synchronized void markRemoved() {
        removed = true;
    }

    synchronized void addSubscription() {
        subscriptions++;
    }

    synchronized int removeSubscription() {
        return --subscriptions;
    }

    synchronized boolean isEmpty() {
        return subscriptions == 0;
    }

    /** Whether a new distinct user would exceed {@code max}; existing users may always open more connections. */
    synchronized boolean wouldExceedMembers(String userId, int max) {
        return !members.containsKey(userId) && members.size() >= max;
    }

    /** Adds a connection of {@code userId}; returns true when it is the user's first (member_added). */
    synchronized boolean addMember(String userId, String userInfoJson) {
        Member m = members.get(userId);
        if (m == null) {
            members.put(userId, new Member(userInfoJson));
            return true;
        }
        m.connections++;
        return false;
    }

    /** Removes a connection of {@code userId}; returns true when it was the user's last (member_removed). */
    synchronized boolean removeMember(String userId) {
        Member m = members.get(userId);
        if (m == null) {
            return false;
        }
        if (--m.connections == 0) {
            members.remove(userId);
            return true;
        }
        return false;
    }

    /** user id -> user_info JSON (null when none), in join order. */
    public synchronized Map<String, String> presenceMembers() {
        return memberSnapshot();
    }

    synchronized Map<String, String> memberSnapshot() {
        Map<String, String> out = new LinkedHashMap<>();
        members.forEach((id, m) -> out.put(id, m.userInfoJson));
        return out;
    }

    private static final class Member {
        final String userInfoJson;
        int connections = 1;

        Member(String userInfoJson) {
            this.userInfoJson = userInfoJson;
        }
    }
}
