package dev.pushserver.client.socket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pushserver.client.socket.SocketChannel.Event;
import dev.pushserver.client.socket.SocketChannel.Member;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A WebSocket client of push-server (any Pusher Channels server) for backends: the seed's {@code Client}, done
 * properly. It subscribes like a browser does (public, private and presence channels through a
 * {@link ChannelAuthorizer}), sends client events, signs in, tracks presence members, and keeps the connection alive:
 * {@code pusher:ping} after {@code activityTimeout} of silence, reconnect when no pong comes within
 * {@code pongTimeout}. When the server closes the connection it follows the Pusher close-code ranges: 4000-4099 no
 * reconnect, 4100-4199 reconnect after a back-off (1 s, doubling to 30 s), 4200-4299 at once; after any other
 * loss it backs off too. After a reconnect it subscribes to every channel and signs in again.
 *
 * <p>All callbacks run on one thread of this client, one at a time.
 */
public final class PushSocket implements AutoCloseable {

    /** Like pusher-js's connection states. */
    public enum State { INITIALIZED, CONNECTING, CONNECTED, UNAVAILABLE, DISCONNECTED }

    /** Produces the signin auth ({@code {"auth":"key:sig","user_data":"..."}}) for a socket id. */
    @FunctionalInterface
    public interface UserAuthenticator {
        CompletableFuture<String> authenticate(String socketId);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI uri;
    private final ChannelAuthorizer authorizer;
    private final Duration activityTimeout;
    private final Duration pongTimeout;
    private final HttpClient http;
    private final ScheduledExecutorService thread;
    private final Map<String, SocketChannel> channels = new ConcurrentHashMap<>();
    private final List<Consumer<Event>> global = new CopyOnWriteArrayList<>();
    private final List<BiConsumer<State, State>> stateListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> errorListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Event>> userEvents = new CopyOnWriteArrayList<>();
    // on the client's thread
    private WebSocket ws;
    private volatile String socketId;
    private volatile State state = State.INITIALIZED;
    private UserAuthenticator signin;
    private volatile String userData;
    private boolean wanted;
    private int failures;
    private long lastReceived;
    private ScheduledFuture<?> liveness;
    private ScheduledFuture<?> reconnect;
    private boolean pingSent;
    private long pingSentAt;
    private final StringBuilder partial = new StringBuilder();

    private PushSocket(Builder b) {
        this.uri = b.uri();
        this.authorizer = b.authorizer;
        this.activityTimeout = b.activityTimeout;
        this.pongTimeout = b.pongTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "push-socket");
            t.setDaemon(true);
            return t;
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options: by URL ({@code ws://host:port/app/key}) or host, port, TLS and app key. */
    public static final class Builder {
        private String url;
        private String host = "127.0.0.1";
        private int port = 6001;
        private boolean tls;
        private String key;
        private ChannelAuthorizer authorizer;
        private Duration activityTimeout = Duration.ofSeconds(120);
        private Duration pongTimeout = Duration.ofSeconds(30);

        public Builder url(String url) {
            this.url = url;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        public Builder key(String key) {
            this.key = key;
            return this;
        }

        public Builder authorizer(ChannelAuthorizer authorizer) {
            this.authorizer = authorizer;
            return this;
        }

        public Builder activityTimeout(Duration d) {
            this.activityTimeout = d;
            return this;
        }

        public Builder pongTimeout(Duration d) {
            this.pongTimeout = d;
            return this;
        }

        URI uri() {
            if (url != null) {
                return URI.create(url);
            }
            if (key == null) {
                throw new IllegalArgumentException("give the app key (or a url)");
            }
            return URI.create((tls ? "wss://" : "ws://") + host + ":" + port + "/app/" + key
                    + "?protocol=7&client=push-client-java&version=0.1.0");
        }

        public PushSocket build() {
            return new PushSocket(this);
        }
    }

    // ---- API -------------------------------------------------------------------------------------------------

    /** Connects (and keeps reconnecting until {@link #disconnect}). */
    public PushSocket connect() {
        thread.execute(() -> {
            wanted = true;
            open();
        });
        return this;
    }

    /** Closes and stops reconnecting. */
    public void disconnect() {
        thread.execute(() -> {
            wanted = false;
            cancelTimers();
            if (ws != null) {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
                ws = null;
            }
            setState(State.DISCONNECTED);
        });
    }

    @Override
    public void close() {
        disconnect();
        thread.shutdown();
    }

    public State state() {
        return state;
    }

    /** The socket id of the current connection, or null while not connected. */
    public String socketId() {
        return socketId;
    }

    public Set<String> channels() {
        return Set.copyOf(channels.keySet());
    }

    public SocketChannel channel(String name) {
        return channels.get(name);
    }

    /** Subscribes (now, or once connected, and again after each reconnect). */
    public SocketChannel subscribe(String name) {
        SocketChannel c = channels.computeIfAbsent(name, n -> new SocketChannel(this, n));
        thread.execute(() -> {
            if (state == State.CONNECTED) {
                sendSubscribe(c);
            }
        });
        return c;
    }

    public void unsubscribe(String name) {
        SocketChannel c = channels.remove(name);
        if (c != null) {
            c.unsubscribed();
            thread.execute(() -> send(message("pusher:unsubscribe", JSON.createObjectNode().put("channel", name))));
        }
    }

    public void unsubscribeAll() {
        new ArrayList<>(channels.keySet()).forEach(this::unsubscribe);
    }

    /** Every event on every channel. */
    public PushSocket onEvent(Consumer<Event> handler) {
        global.add(handler);
        return this;
    }

    /** (previous, current) on each state change. */
    public PushSocket onStateChange(BiConsumer<State, State> listener) {
        stateListeners.add(listener);
        return this;
    }

    /** {@code pusher:error} messages from the server. */
    public PushSocket onError(Consumer<String> listener) {
        errorListeners.add(listener);
        return this;
    }

    /** Events sent to the signed-in user ({@code #server-to-user-<id>}). */
    public PushSocket onUserEvent(Consumer<Event> handler) {
        userEvents.add(handler);
        return this;
    }

    /** Signs in now (when connected) and after each reconnect. */
    public PushSocket signin(UserAuthenticator authenticator) {
        thread.execute(() -> {
            signin = authenticator;
            if (state == State.CONNECTED) {
                sendSignin();
            }
        });
        return this;
    }

    /** The user_data of the last successful signin, or null. */
    public String userData() {
        return userData;
    }

    // ---- connection ------------------------------------------------------------------------------------------

    private void open() {
        if (!wanted || ws != null) {
            return;
        }
        setState(State.CONNECTING);
        http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, new Listener())
                .whenComplete((socket, failure) -> thread.execute(() -> {
                    if (failure != null && ws == null) {
                        lost(-1);
                    }
                }));
    }

    private final class Listener implements WebSocket.Listener {
        @Override
        public void onOpen(WebSocket w) {
            // before any message of this connection is handled (they are queued on the same thread after this)
            thread.execute(() -> {
                if (!wanted) {
                    w.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
                    return;
                }
                ws = w;
                sending = CompletableFuture.completedFuture(null);
                lastReceived = System.nanoTime();
            });
            w.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            String text = data.toString();
            thread.execute(() -> {
                partial.append(text);
                if (last) {
                    String message = partial.toString();
                    partial.setLength(0);
                    received(message);
                }
            });
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket w, ByteBuffer message) {
            thread.execute(() -> lastReceived = System.nanoTime());
            w.request(1);
            return null; // the JDK answers with a pong
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
            thread.execute(() -> {
                if (ws == w) {
                    ws = null;
                    lost(statusCode);
                }
            });
            return null;
        }

        @Override
        public void onError(WebSocket w, Throwable error) {
            thread.execute(() -> {
                if (ws == w) {
                    ws = null;
                    lost(-1);
                }
            });
        }
    }

    /** The connection is gone: reconnect as its close code says. */
    private void lost(int code) {
        cancelTimers();
        socketId = null;
        channels.values().forEach(SocketChannel::unsubscribed);
        if (!wanted) {
            setState(State.DISCONNECTED);
            return;
        }
        long delayMs;
        if (code >= 4000 && code <= 4099) {
            wanted = false; // fatal: the same parameters will not work
            setState(State.DISCONNECTED);
            return;
        } else if (code >= 4200 && code <= 4299) {
            delayMs = 0;
            failures = 0;
        } else {
            failures++;
            delayMs = Math.min(30_000, 1000L << Math.min(5, failures - 1));
        }
        setState(State.UNAVAILABLE);
        reconnect = thread.schedule(this::open, delayMs, TimeUnit.MILLISECONDS);
    }

    private void cancelTimers() {
        if (liveness != null) {
            liveness.cancel(false);
            liveness = null;
        }
        if (reconnect != null) {
            reconnect.cancel(false);
            reconnect = null;
        }
    }

    private void setState(State next) {
        State prev = state;
        if (prev == next) {
            return;
        }
        state = next;
        stateListeners.forEach(l -> l.accept(prev, next));
    }

    /** Every second: a ping after activityTimeout of silence; no pong within pongTimeout means the link is dead. */
    private void checkLiveness() {
        WebSocket w = ws;
        if (w == null) {
            return;
        }
        long now = System.nanoTime();
        if (pingSent && now - pingSentAt > pongTimeout.toNanos()) {
            ws = null;
            w.abort();
            lost(-1);
        } else if (!pingSent && now - lastReceived > activityTimeout.toNanos()) {
            pingSent = true;
            pingSentAt = now;
            send("{\"event\":\"pusher:ping\",\"data\":{}}");
        }
    }

    // ---- messages --------------------------------------------------------------------------------------------

    private void received(String text) {
        lastReceived = System.nanoTime();
        pingSent = false;
        JsonNode msg;
        try {
            msg = JSON.readTree(text);
        } catch (Exception e) {
            return;
        }
        String event = msg.path("event").asText("");
        String channel = msg.hasNonNull("channel") ? msg.get("channel").asText() : null;
        JsonNode dataNode = msg.get("data");
        String data = dataNode == null || dataNode.isNull() ? null
                : dataNode.isTextual() ? dataNode.asText() : dataNode.toString();
        switch (event) {
            case "pusher:connection_established" -> established(data);
            case "pusher:pong" -> {
            }
            case "pusher:ping" -> send("{\"event\":\"pusher:pong\",\"data\":{}}");
            case "pusher:error" -> errorListeners.forEach(l -> l.accept(data));
            case "pusher:signin_success" -> userData = field(data, "user_data");
            case "pusher_internal:subscription_succeeded" -> subscriptionSucceeded(channel, data);
            case "pusher:subscription_error" -> {
                SocketChannel c = channel == null ? null : channels.get(channel);
                if (c != null) {
                    c.failed(data);
                }
            }
            case "pusher_internal:member_added" -> {
                SocketChannel c = channels.get(channel);
                if (c != null) {
                    JsonNode d = parse(data);
                    JsonNode info = d.get("user_info");
                    c.memberAdded(new Member(d.path("user_id").asText(), info == null || info.isNull() ? null
                            : info.toString()));
                }
            }
            case "pusher_internal:member_removed" -> {
                SocketChannel c = channels.get(channel);
                if (c != null) {
                    c.memberRemoved(parse(data).path("user_id").asText());
                }
            }
            default -> {
                if (event.startsWith("pusher_internal:") || event.startsWith("pusher:")) {
                    return; // subscription counts, watchlist events, cache misses: not application events
                }
                String userId = msg.hasNonNull("user_id") ? msg.get("user_id").asText() : null;
                String payload = data;
                if (channel != null && channel.startsWith("private-encrypted-")) {
                    payload = decrypt(channel, data);
                    if (payload == null) {
                        return;
                    }
                }
                Event e = new Event(channel, event, payload, userId);
                if (channel != null && channel.startsWith("#server-to-user-")) {
                    userEvents.forEach(h -> h.accept(e));
                    return;
                }
                SocketChannel c = channel == null ? null : channels.get(channel);
                if (c != null) {
                    c.dispatch(e);
                }
                global.forEach(h -> h.accept(e));
            }
        }
    }

    /** The plaintext of an encrypted channel's event, or null (reported) when it cannot be opened. */
    private String decrypt(String channel, String data) {
        SocketChannel c = channels.get(channel);
        byte[] key = c == null ? null : c.sharedSecret;
        JsonNode box = parse(data);
        byte[] plain = null;
        if (key != null && box.hasNonNull("nonce") && box.hasNonNull("ciphertext")) {
            try {
                plain = SecretBox.open(java.util.Base64.getDecoder().decode(box.get("ciphertext").asText()),
                        java.util.Base64.getDecoder().decode(box.get("nonce").asText()), key);
            } catch (IllegalArgumentException e) {
                plain = null;
            }
        }
        if (plain == null) {
            errorListeners.forEach(l -> l.accept("cannot decrypt an event on " + channel
                    + " (wrong shared secret, or not an encrypted message); it was dropped"));
            return null;
        }
        return new String(plain, java.nio.charset.StandardCharsets.UTF_8);
    }

    private void established(String data) {
        socketId = field(data, "socket_id");
        failures = 0;
        pingSent = false;
        setState(State.CONNECTED);
        if (liveness != null) {
            liveness.cancel(false);
        }
        liveness = thread.scheduleWithFixedDelay(this::checkLiveness, 1, 1, TimeUnit.SECONDS);
        if (signin != null) {
            sendSignin();
        }
        channels.values().forEach(this::sendSubscribe);
    }

    private void subscriptionSucceeded(String channel, String data) {
        SocketChannel c = channel == null ? null : channels.get(channel);
        if (c == null) {
            return;
        }
        Map<String, Member> roster = new LinkedHashMap<>();
        String me = null;
        if (channel.startsWith("presence-")) {
            JsonNode presence = parse(data).path("presence");
            JsonNode hash = presence.path("hash");
            for (JsonNode id : presence.path("ids")) {
                JsonNode info = hash.get(id.asText());
                roster.put(id.asText(), new Member(id.asText(), info == null || info.isNull() ? null
                        : info.toString()));
            }
            me = c.pendingUserId;
        }
        c.subscribed(roster, me);
    }

    private void sendSubscribe(SocketChannel c) {
        String name = c.name();
        if (!(name.startsWith("private-") || name.startsWith("presence-"))) {
            send(message("pusher:subscribe", JSON.createObjectNode().put("channel", name)));
            return;
        }
        if (authorizer == null) {
            c.failed("no authorizer configured for " + name);
            return;
        }
        String sid = socketId;
        authorizer.authorize(sid, name).whenComplete((auth, failure) -> thread.execute(() -> {
            if (!sid.equals(socketId) || !channels.containsKey(name)) {
                return; // reconnected or unsubscribed meanwhile
            }
            if (failure != null) {
                c.failed("authorization failed: " + failure.getMessage());
                return;
            }
            JsonNode a = parse(auth);
            ObjectNode d = JSON.createObjectNode().put("channel", name).put("auth", a.path("auth").asText());
            if (name.startsWith("private-encrypted-")) {
                if (!a.hasNonNull("shared_secret")) {
                    c.failed("the auth of encrypted channel " + name + " has no shared_secret");
                    return;
                }
                c.sharedSecret = java.util.Base64.getDecoder().decode(a.get("shared_secret").asText());
            }
            if (a.hasNonNull("channel_data")) {
                String cd = a.get("channel_data").asText();
                d.put("channel_data", cd);
                c.pendingUserId = parse(cd).path("user_id").asText(null);
            }
            send(message("pusher:subscribe", d));
        }));
    }

    private void sendSignin() {
        String sid = socketId;
        signin.authenticate(sid).whenComplete((auth, failure) -> thread.execute(() -> {
            if (failure != null || !sid.equals(socketId)) {
                return;
            }
            JsonNode a = parse(auth);
            send(message("pusher:signin", JSON.createObjectNode().put("auth", a.path("auth").asText())
                    .put("user_data", a.path("user_data").asText())));
        }));
    }

    void sendClientEvent(String channel, String event, String dataJson) {
        thread.execute(() -> {
            ObjectNode m = JSON.createObjectNode().put("event", event).put("channel", channel);
            m.set("data", parse(dataJson == null ? "{}" : dataJson));
            send(m.toString());
        });
    }

    private static String message(String event, ObjectNode data) {
        ObjectNode m = JSON.createObjectNode().put("event", event);
        m.set("data", data);
        return m.toString();
    }

    /** The JDK WebSocket takes one text at a time: each send waits for the one before. On the client's thread. */
    private void send(String text) {
        WebSocket w = ws;
        if (w == null) {
            return;
        }
        sending = sending.handle((v, e) -> null).thenCompose(v -> w.sendText(text, true)).thenApply(x -> null);
    }

    private CompletableFuture<Object> sending = CompletableFuture.completedFuture(null);

    private static JsonNode parse(String text) {
        try {
            return text == null ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }

    private static String field(String json, String name) {
        JsonNode n = parse(json).get(name);
        return n == null || n.isNull() ? null : n.asText();
    }
}
