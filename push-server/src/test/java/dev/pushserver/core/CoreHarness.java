package dev.pushserver.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pushserver.api.ApiRequest;
import dev.pushserver.api.ApiResponse;
import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.cluster.LocalBroker;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventType;
import dev.pushserver.store.MemoryStore;
import dev.pushserver.testing.DeferredStore;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.Signing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The whole Netty-free core on fake sessions and manual event loops: deterministic, no sockets, no threads. A test
 * connects clients to chosen loops, sends them messages, runs the loops, and reads what each client received, the
 * channel events emitted, and the HTTP API's answers.
 */
final class CoreHarness implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Two apps: app-1 with client events on, app-2 with the defaults. */
    static final String DEFAULT_APPS = """
            apps:
              - id: app-1
                key: key-1
                secret: secret-1
                enable_client_messages: true
              - id: app-2
                key: key-2
                secret: secret-2
            """;

    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final List<ManualLoop> loops = new ArrayList<>();
    final FakeFrame.Encoder frames = new FakeFrame.Encoder();
    final DeferredStore store;
    final PushCore core;
    /** every channel event, in the order listeners saw them */
    final List<ChannelEvent> events = new CopyOnWriteArrayList<>();

    /** The membership and message transitions the harness records (not the console's per-connection types). */
    static final java.util.Set<EventType> TRANSITIONS = java.util.EnumSet.complementOf(java.util.EnumSet.of(
            EventType.SUBSCRIBED, EventType.UNSUBSCRIBED, EventType.CONNECTED, EventType.DISCONNECTED,
            EventType.WEBHOOK_SENT));
    private long nextSocket = 1;

    CoreHarness() {
        this(DEFAULT_APPS, 2);
    }

    CoreHarness(String appsYaml, int loopCount) {
        for (int i = 0; i < loopCount; i++) {
            loops.add(new ManualLoop(i, nanos::get));
        }
        ServerConfig config = ConfigLoader.fromYaml(appsYaml, Map.of());
        DeferredStore[] made = new DeferredStore[1];
        core = new PushCore(config, new AppRegistry(config.apps()), loops, frames,
                events -> made[0] = new DeferredStore(new MemoryStore(events)), new LocalBroker());
        store = made[0];
        core.events().listen(new ChannelEventListener() {
            @Override
            public boolean wants(App app, EventType type) {
                return TRANSITIONS.contains(type);
            }

            @Override
            public void onEvent(ChannelEvent event) {
                events.add(event);
            }
        });
    }

    App app(String id) {
        return core.apps().byId(id);
    }

    /** Runs every loop until no task is left anywhere. */
    void runAll() {
        boolean ran;
        do {
            ran = false;
            for (ManualLoop l : loops) {
                ran |= l.runPending() > 0;
            }
        } while (ran);
    }

    /** Moves the clock on, fires the timers that are due, and runs everything. */
    void advance(long amount, TimeUnit unit) {
        nanos.addAndGet(unit.toNanos(amount));
        loops.forEach(ManualLoop::fireDueTimers);
        runAll();
    }

    /** A new connection to the app with {@code key}, on loop {@code loop}; connection_established is consumed. */
    Client connect(String key, int loop) {
        App app = core.apps().byKey(key);
        FakeSession s = new FakeSession((nextSocket++) + "." + (1000 + nextSocket), app, loops.get(loop));
        Client c = new Client(this, s);
        s.loop.execute(() -> {
            c.conn = core.dispatcher().open(s);
            if (c.conn != null) {
                s.onClosed = () -> core.dispatcher().closed(c.conn);
            }
        });
        runAll();
        if (c.conn != null) {
            c.expect("pusher:connection_established");
        }
        return c;
    }

    Client connect(int loop) {
        return connect("key-1", loop);
    }

    /** Events of one type, in order. */
    List<ChannelEvent> events(EventType type) {
        return events.stream().filter(e -> e.type() == type).toList();
    }

    // ---- HTTP API -------------------------------------------------------------------------------------------------

    /** A request signed for app-1, answered (the loops are run while waiting). */
    ApiResponse api(String method, String path, String body) {
        return api("app-1", "key-1", "secret-1", method, path, Map.of(), body);
    }

    ApiResponse api(String appId, String key, String secret, String method, String path, Map<String, String> query,
            String body) {
        CompletableFuture<ApiResponse> answer = core.api().handle(signed(appId, key, secret, method, path, query,
                body)).toCompletableFuture();
        runAll();
        if (!answer.isDone()) {
            throw new AssertionError("no API answer yet (a deferred store call is held?)");
        }
        return answer.join();
    }

    /** A signed request (reference §4.2). */
    static ApiRequest signed(String appId, String key, String secret, String method, String path,
            Map<String, String> query, String body) {
        String fullPath = "/apps/" + appId + path;
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        Map<String, String> params = new TreeMap<>(query);
        params.put("auth_key", key);
        params.put("auth_timestamp", Long.toString(System.currentTimeMillis() / 1000));
        params.put("auth_version", "1.0");
        if (bytes.length > 0) {
            params.put("body_md5", Signing.md5Hex(bytes));
        }
        StringBuilder toSign = new StringBuilder(method).append('\n').append(fullPath).append('\n');
        StringBuilder url = new StringBuilder(fullPath).append('?');
        boolean first = true;
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!first) {
                toSign.append('&');
                url.append('&');
            }
            first = false;
            toSign.append(e.getKey()).append('=').append(e.getValue());
            url.append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        url.append("&auth_signature=").append(Signing.hmacSha256Hex(secret, toSign.toString()));
        return new ApiRequest(method, url.toString().replace("#", "%23"), bytes);
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(byte[] body) {
        return json(new String(body, StandardCharsets.UTF_8));
    }

    /** Every frame fan-out made has been released. */
    List<String> liveFrames() {
        return frames.live();
    }

    @Override
    public void close() {
        core.close();
    }

    /** One client connection and what it received. */
    static final class Client {
        final CoreHarness h;
        final FakeSession session;
        Connection conn;
        private int read;

        Client(CoreHarness h, FakeSession session) {
            this.h = h;
            this.session = session;
        }

        String socketId() {
            return session.socketId();
        }

        /** Sends a message and runs every loop until all is done. */
        void send(String json) {
            queue(json);
            h.runAll();
        }

        /** Hands a message to the connection's loop without running anything. */
        void queue(String json) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            session.loop.execute(() -> h.core.dispatcher().message(conn, bytes));
        }

        /** Subscribes to a public channel, or signed to a private / encrypted one. */
        void subscribe(String channel) {
            App app = session.app();
            send(channel.startsWith("private-")
                    ? Messages.subscribeSigned(app.key(), app.secret(), socketId(), channel)
                    : Messages.subscribe(channel));
        }

        /** Joins a presence channel as {@code userId} with optional user_info JSON. */
        void join(String channel, String userId, String userInfoJson) {
            send(joinMessage(channel, userId, userInfoJson));
        }

        /** The signed presence subscribe {@link #join} sends. */
        String joinMessage(String channel, String userId, String userInfoJson) {
            App app = session.app();
            String cd = "{\"user_id\":" + Messages.quote(userId)
                    + (userInfoJson == null ? "" : ",\"user_info\":" + userInfoJson) + "}";
            return Messages.subscribePresence(app.key(), app.secret(), socketId(), channel, cd);
        }

        /** Signs in with this user_data JSON. */
        void signin(String userData) {
            App app = session.app();
            send(Messages.signin(app.key(), app.secret(), socketId(), userData));
        }

        /** The client goes away (TCP closed). */
        void disconnect() {
            session.close(1000, "client left");
            h.runAll();
        }

        /** Messages not read yet, parsed. */
        List<JsonNode> unread() {
            List<String> all = session.received();
            List<JsonNode> out = new ArrayList<>();
            for (int i = read; i < all.size(); i++) {
                out.add(json(all.get(i)));
            }
            return out;
        }

        /** The next unread message; fails when there is none. */
        JsonNode next() {
            List<String> all = session.received();
            if (read >= all.size()) {
                throw new AssertionError(socketId() + " has no further message; received " + all);
            }
            return json(all.get(read++));
        }

        /** The next message, which must be {@code event}. */
        JsonNode expect(String event) {
            JsonNode m = next();
            if (!event.equals(m.path("event").asText())) {
                throw new AssertionError(socketId() + " expected " + event + " but got " + m);
            }
            return m;
        }

        /** The next message, which must be {@code event} on {@code channel}. */
        JsonNode expect(String event, String channel) {
            JsonNode m = expect(event);
            if (!channel.equals(m.path("channel").asText())) {
                throw new AssertionError(socketId() + " expected " + event + " on " + channel + " but got " + m);
            }
            return m;
        }

        /** Marks everything received so far as read. */
        void skipAll() {
            read = session.received().size();
        }

        /** Unread messages with this event name. */
        List<JsonNode> unread(String event) {
            return unread().stream().filter(m -> event.equals(m.path("event").asText())).toList();
        }

        /** {@code data} of a message parsed (it is a JSON string on most server messages). */
        static JsonNode data(JsonNode message) {
            JsonNode d = message.get("data");
            return d != null && d.isTextual() ? json(d.asText()) : d;
        }
    }
}
