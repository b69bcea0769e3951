package dev.pushserver.store;

/**
 * @param subscriptionCount connections subscribed (every channel type)
 * @param userCount         distinct presence users (presence channels; 0 otherwise)
 */
public record ChannelCounts(int subscriptionCount, int userCount) {

    public static final ChannelCounts NONE = new ChannelCounts(0, 0);

    public boolean occupied() {
        return subscriptionCount > 0;
    }
}
