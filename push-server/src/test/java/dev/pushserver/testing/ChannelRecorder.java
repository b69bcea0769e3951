package dev.pushserver.testing;

import com.pusher.client.channel.PresenceChannelEventListener;
import com.pusher.client.channel.PusherEvent;
import com.pusher.client.channel.User;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Records the channel callbacks of the official Java client; usable as a public, private or presence channel
 * listener. {@link #subscriptions} gets the outcome of each subscribe in order: the channel name on success, or
 * {@code "auth failure: <message>"}, so waiting for a success fails fast and tells why.
 */
public final class ChannelRecorder implements PresenceChannelEventListener {

    /** Per subscribe: the channel name, or "auth failure: message". */
    public final BlockingQueue<String> subscriptions = new LinkedBlockingQueue<>();
    /** Bound events (including pusher: events bound by name). */
    public final BlockingQueue<PusherEvent> events = new LinkedBlockingQueue<>();
    /** Presence: each onUsersInformationReceived. */
    public final BlockingQueue<Set<User>> initial = new LinkedBlockingQueue<>();
    public final BlockingQueue<User> added = new LinkedBlockingQueue<>();
    /** Presence: removed users; a null user is recorded as id {@code <null>}. */
    public final BlockingQueue<User> removed = new LinkedBlockingQueue<>();
    /** Auth failures ("auth failure: message") and channel errors. */
    public final BlockingQueue<String> problems = new LinkedBlockingQueue<>();

    @Override
    public void onSubscriptionSucceeded(String channelName) {
        subscriptions.add(channelName);
    }

    @Override
    public void onAuthenticationFailure(String message, Exception e) {
        subscriptions.add("auth failure: " + message);
        problems.add("auth failure: " + message);
    }

    @Override
    public void onEvent(PusherEvent event) {
        events.add(event);
    }

    @Override
    public void onUsersInformationReceived(String channelName, Set<User> users) {
        initial.add(users);
    }

    @Override
    public void userSubscribed(String channelName, User user) {
        added.add(user);
    }

    @Override
    public void userUnsubscribed(String channelName, User user) {
        removed.add(user == null ? new User("<null>", null) : user);
    }

    @Override
    public void onError(String message, Exception e) {
        problems.add(message);
    }
}
