package dev.pushserver.client.socket;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * One channel of a {@link PushSocket}: handlers per event, client events and, on presence channels, the members.
 * Handlers run on the socket's own thread, one at a time, in the order messages arrive.
 */
public final class SocketChannel {

    /** An event received on a channel: its name, its data (a JSON text or a string), and the sender on presence. */
    public record Event(String channel, String event, String data, String userId) {
    }

    /** A presence member: its id and user_info (a JSON text, or null). */
    public record Member(String id, String info) {
    }

    private final PushSocket socket;
    private final String name;
    private final Map<String, List<Consumer<Event>>> handlers = new ConcurrentHashMap<>();
    private final List<Consumer<Member>> added = new CopyOnWriteArrayList<>();
    private final List<Consumer<Member>> removed = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> errors = new CopyOnWriteArrayList<>();
    // on the socket's thread
    private volatile boolean subscribed;
    private volatile Map<String, Member> members = Map.of();
    private volatile String me;
    /** the presence user id this client subscribed as (from the auth's channel_data) */
    volatile String pendingUserId;
    /** the shared secret of an encrypted channel (from its auth) */
    volatile byte[] sharedSecret;

    SocketChannel(PushSocket socket, String name) {
        this.socket = socket;
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Whether the server confirmed the subscription (again, after each reconnect). */
    public boolean isSubscribed() {
        return subscribed;
    }

    /** Calls {@code handler} for each {@code event} on this channel. */
    public SocketChannel on(String event, Consumer<Event> handler) {
        handlers.computeIfAbsent(event, e -> new CopyOnWriteArrayList<>()).add(handler);
        return this;
    }

    /** The subscription failed (auth refused, channel full, ...): called with the server's message. */
    public SocketChannel onError(Consumer<String> handler) {
        errors.add(handler);
        return this;
    }

    public SocketChannel onMemberAdded(Consumer<Member> handler) {
        added.add(handler);
        return this;
    }

    public SocketChannel onMemberRemoved(Consumer<Member> handler) {
        removed.add(handler);
        return this;
    }

    /** Presence members by id, as of the last message (empty on other channels). */
    public Map<String, Member> members() {
        return members;
    }

    /** This client's own member on a presence channel, or null. */
    public Member me() {
        String id = me;
        return id == null ? null : members.get(id);
    }

    /**
     * Sends a client event to the other subscribers. Refuses (IllegalArgumentException) a name without the
     * {@code client-} prefix before sending, as the server would refuse it.
     *
     * @param dataJson the event's data as a JSON text
     */
    public void trigger(String event, String dataJson) {
        if (event == null || !event.startsWith("client-")) {
            throw new IllegalArgumentException("client events must be named client-…, not " + event);
        }
        if (name.startsWith("private-encrypted-")) {
            throw new IllegalArgumentException("client events are not supported on encrypted channels (" + name + ")");
        }
        if (!name.startsWith("private-") && !name.startsWith("presence-")) {
            throw new IllegalArgumentException("client events need a private or presence channel, not " + name);
        }
        socket.sendClientEvent(name, event, dataJson);
    }

    // ---- from the socket (its thread) ----

    void subscribed(Map<String, Member> roster, String myId) {
        this.members = Map.copyOf(roster);
        this.me = myId;
        this.subscribed = true;
    }

    void unsubscribed() {
        subscribed = false;
    }

    void memberAdded(Member m) {
        java.util.LinkedHashMap<String, Member> next = new java.util.LinkedHashMap<>(members);
        next.put(m.id(), m);
        members = java.util.Collections.unmodifiableMap(next);
        added.forEach(h -> h.accept(m));
    }

    void memberRemoved(String id) {
        Member m = members.get(id);
        if (m == null) {
            return;
        }
        java.util.LinkedHashMap<String, Member> next = new java.util.LinkedHashMap<>(members);
        next.remove(id);
        members = java.util.Collections.unmodifiableMap(next);
        removed.forEach(h -> h.accept(m));
    }

    void failed(String message) {
        errors.forEach(h -> h.accept(message));
    }

    void dispatch(Event e) {
        List<Consumer<Event>> hs = handlers.get(e.event());
        if (hs != null) {
            hs.forEach(h -> h.accept(e));
        }
    }
}
