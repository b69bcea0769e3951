package dev.pushserver.channel;

import dev.pushserver.connection.Connection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The occupied channels of one app. A channel exists while it has at least one subscription. */
public final class AppChannels {

    private final ConcurrentHashMap<String, ChannelState> channels = new ConcurrentHashMap<>();
    private final int loopCount;

    public AppChannels(int loopCount) {
        this.loopCount = loopCount;
    }

    public ChannelState get(String name) {
        return channels.get(name);
    }

    public Map<String, ChannelState> all() {
        return channels;
    }

    /** What a join did, for the caller to announce. */
    public record Join(Subscription subscription, boolean firstForUser,
            Map<String, String> members, boolean memberLimitReached) {
    }

    /**
     * What a leave did, for the caller to announce; {@code epoch} is the membership version at the leave, so its
     * member_removed reaches only subscribers that could have known the member.
     */
    public record Leave(boolean lastSubscription, boolean lastForUser, long epoch) {
    }

    /**
     * Adds {@code connection} to channel {@code name}; must run on the connection's loop. For presence channels
     * {@code userId} is the member identity and {@code maxMembers} the distinct-user limit.
     */
    public Join join(Connection connection, String name, String userId, String userInfoJson, int maxMembers) {
        while (true) {
            ChannelState state = channels.computeIfAbsent(name, n -> new ChannelState(n, loopCount));
            synchronized (state) {
                if (state.isRemoved()) {
                    continue; // lost a race with the last leave; take the fresh state
                }
                boolean presence = userId != null;
                if (presence && state.wouldExceedMembers(userId, maxMembers)) {
                    if (state.isEmpty()) {
                        state.markRemoved();
                        channels.remove(name, state);
                    }
                    return new Join(null, false, null, true);
                }
                state.addSubscription();
                boolean firstForUser = presence && state.addMember(userId, userInfoJson);
                Map<String, String> members = presence ? state.memberSnapshot() : null;
                Subscription s = new Subscription(state, connection, userId);
                s.joinEpoch = state.advanceEpoch();
                state.subscribersOn(connection.loopIndex()).add(s);
                return new Join(s, firstForUser, members, false);
            }
        }
    }

    /** Removes a subscription; must run on the subscriber's loop. */
    public Leave leave(Subscription s) {
        ChannelState state = s.state;
        state.subscribersOn(s.connection.loopIndex()).remove(s);
        synchronized (state) {
            boolean lastForUser = s.userId != null && state.removeMember(s.userId);
            boolean last = state.removeSubscription() == 0;
            if (last) {
                state.markRemoved();
                channels.remove(state.name, state);
            }
            return new Leave(last, lastForUser, state.epoch());
        }
    }
}
