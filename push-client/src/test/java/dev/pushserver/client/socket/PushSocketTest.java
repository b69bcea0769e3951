package dev.pushserver.client.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.pusher.rest.Pusher;
import dev.pushserver.PushServer;
import dev.pushserver.client.socket.PushSocket.State;
import dev.pushserver.client.socket.SocketChannel.Event;
import dev.pushserver.config.ConfigLoader;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** PushSocket against a real push-server: channels, auth, presence, client events, sign-in and reconnects. */
class PushSocketTest {

    private static final String KEY = "key-1";
    private static final String SECRET = "secret-1";
    private static final String APPS = "apps:\n  - id: app-1\n    key: " + KEY + "\n    secret: " + SECRET + "\n"
            + "    enable_client_messages: true\n"
            + "max_connections_per_ip: 0\nmax_new_connections_per_ip_per_second: 0\nshutdown_grace_period: 2\n"
            + "host: 127.0.0.1\n";

    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();
    private int port;
    private PushServer server;

    private PushServer start(int port) throws Exception {
        this.port = port;
        server = PushServer.start(ConfigLoader.fromYaml(APPS + "port: " + port + "\n", Map.of()));
        return server;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private PushSocket socket(ChannelAuthorizer authorizer) {
        PushSocket s = PushSocket.builder().port(port).key(KEY).authorizer(authorizer).build();
        open.add(s);
        return s.connect();
    }

    private Pusher api() {
        Pusher p = new Pusher("app-1", KEY, SECRET);
        p.setHost("127.0.0.1:" + port);
        open.add(p);
        return p;
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(condition);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void publicAndPrivateChannelsReceiveTriggeredEvents() throws Exception {
        start(freePort());
        List<Event> got = new CopyOnWriteArrayList<>();
        PushSocket s = socket(new SigningChannelAuthorizer(KEY, SECRET));
        SocketChannel pub = s.subscribe("news").on("hello", got::add);
        SocketChannel priv = s.subscribe("private-orders").on("hello", got::add);
        await(() -> pub.isSubscribed() && priv.isSubscribed());
        assertThat(s.state()).isEqualTo(State.CONNECTED);
        assertThat(s.socketId()).matches("\\d+\\.\\d+");
        assertThat(s.channels()).containsExactlyInAnyOrder("news", "private-orders");
        api().trigger(List.of("news", "private-orders"), "hello", Map.of("n", 1));
        await(() -> got.size() == 2);
        assertThat(got).extracting(Event::channel).containsExactlyInAnyOrder("news", "private-orders");
        assertThat(got.get(0).data()).isEqualTo("{\"n\":1}");

        s.unsubscribe("news");
        await(() -> !s.channels().contains("news"));
        api().trigger("news", "hello", Map.of("n", 2));
        api().trigger("private-orders", "hello", Map.of("n", 3));
        await(() -> got.size() == 3);
        assertThat(got.get(2).channel()).isEqualTo("private-orders");
    }

    @Test
    void aPrivateChannelWithoutAValidAuthFails() throws Exception {
        start(freePort());
        List<String> errors = new CopyOnWriteArrayList<>();
        PushSocket s = socket(new SigningChannelAuthorizer(KEY, "wrong-secret"));
        SocketChannel c = s.subscribe("private-x").onError(errors::add);
        await(() -> !errors.isEmpty());
        assertThat(c.isSubscribed()).isFalse();
        assertThatThrownBy(() -> c.trigger("hello", "{}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("client-");
    }

    @Test
    void presenceMembersAndClientEventsBetweenTwoSockets() throws Exception {
        start(freePort());
        PushSocket alice = socket(new SigningChannelAuthorizer(KEY, SECRET, "alice", "{\"name\":\"Alice\"}"));
        PushSocket bob = socket(new SigningChannelAuthorizer(KEY, SECRET, "bob", null));
        List<String> added = new CopyOnWriteArrayList<>();
        List<String> removed = new CopyOnWriteArrayList<>();
        List<Event> events = new CopyOnWriteArrayList<>();
        SocketChannel a = alice.subscribe("presence-room").onMemberAdded(m -> added.add(m.id()))
                .onMemberRemoved(m -> removed.add(m.id())).on("client-typing", events::add);
        await(a::isSubscribed);
        SocketChannel b = bob.subscribe("presence-room");
        await(b::isSubscribed);
        await(() -> added.contains("bob"));
        assertThat(b.members()).containsOnlyKeys("alice", "bob");
        assertThat(b.members().get("alice").info()).isEqualTo("{\"name\":\"Alice\"}");
        assertThat(a.me().id()).isEqualTo("alice");

        b.trigger("client-typing", "{\"on\":true}");
        await(() -> events.size() == 1);
        assertThat(events.get(0).userId()).isEqualTo("bob");
        assertThat(events.get(0).data()).isEqualTo("{\"on\":true}");

        bob.disconnect();
        await(() -> removed.contains("bob"));
        assertThat(a.members()).containsOnlyKeys("alice");
    }

    @Test
    void signinGetsUserDataAndEventsSentToTheUser() throws Exception {
        start(freePort());
        dev.pushserver.client.PushApi api = dev.pushserver.client.PushApi.builder().host("127.0.0.1").port(port)
                .appId("app-1").key(KEY).secret(SECRET).build();
        List<Event> toMe = new CopyOnWriteArrayList<>();
        PushSocket s = socket(null);
        s.onUserEvent(toMe::add);
        String userData = "{\"id\":\"u-1\"}";
        s.signin(socketId -> CompletableFuture.completedFuture(api.authenticateUser(socketId, userData)));
        await(() -> userData.equals(s.userData()));
        api.sendToUser("u-1", "notice", Map.of("n", 1)); // right after signin_success: must not be missed
        await(() -> toMe.size() == 1);
        assertThat(toMe.get(0).event()).isEqualTo("notice");
        assertThat(toMe.get(0).channel()).isEqualTo("#server-to-user-u-1");
    }

    @Test
    void reconnectsAndResubscribesAfterAGracefulStopAndARestart() throws Exception {
        int p = freePort();
        start(p);
        List<State> states = new CopyOnWriteArrayList<>();
        List<Event> got = new CopyOnWriteArrayList<>();
        PushSocket s = socket(new SigningChannelAuthorizer(KEY, SECRET));
        s.onStateChange((from, to) -> states.add(to));
        SocketChannel c = s.subscribe("private-feed").on("tick", got::add);
        await(c::isSubscribed);
        String firstSocket = s.socketId();

        server.stop(); // 4200: reconnect at once (the new server is not there yet: it keeps trying)
        server = null;
        await(() -> s.state() != State.CONNECTED);
        start(p);
        await(() -> s.state() == State.CONNECTED && c.isSubscribed());
        assertThat(s.socketId()).isNotEqualTo(firstSocket);
        assertThat(states).contains(State.UNAVAILABLE);
        api().trigger("private-feed", "tick", Map.of());
        await(() -> got.size() == 1);
    }

    @Test
    void noReconnectAfterAFatalCloseCode() throws Exception {
        start(freePort());
        List<State> states = new CopyOnWriteArrayList<>();
        PushSocket s = PushSocket.builder().port(port).key("no-such-key").build();
        open.add(s);
        s.onStateChange((from, to) -> states.add(to));
        s.connect();
        await(() -> s.state() == State.DISCONNECTED);
        Thread.sleep(1_500); // a reconnect would have shown up as CONNECTING again
        assertThat(states).containsExactly(State.CONNECTING, State.DISCONNECTED);
    }
    @Test
    void encryptedChannelEventsAreDecryptedWithTheSharedSecretFromTheAuth() throws Exception {
        start(freePort());
        String masterKey = java.util.Base64.getEncoder().encodeToString(new byte[32]).replace('A', 'B');
        Pusher official = new Pusher("app-1", KEY, SECRET, masterKey);
        official.setHost("127.0.0.1:" + port);
        open.add(official);
        List<Event> got = new CopyOnWriteArrayList<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        // the official SDK signs (and derives the shared secret); ours must agree with it byte for byte
        PushSocket s = socket((socketId, channel) -> CompletableFuture.completedFuture(
                official.authenticate(socketId, channel)));
        s.onError(errors::add);
        SocketChannel c = s.subscribe("private-encrypted-vault").on("secret", got::add);
        await(c::isSubscribed);
        String ours = new SigningChannelAuthorizer(KEY, SECRET).encryptionMasterKey(masterKey)
                .authorize(s.socketId(), "private-encrypted-vault").get();
        var json = com.fasterxml.jackson.databind.json.JsonMapper.builder().build();
        var mine = json.readTree(ours);
        var theirs = json.readTree(official.authenticate(s.socketId(), "private-encrypted-vault"));
        assertThat(mine.get("auth")).isEqualTo(theirs.get("auth"));
        // the same 32 bytes; ours keeps the base64 padding (pusher-http-java drops it)
        assertThat(java.util.Base64.getDecoder().decode(mine.get("shared_secret").asText()))
                .isEqualTo(java.util.Base64.getDecoder().decode(theirs.get("shared_secret").asText()));
        official.trigger("private-encrypted-vault", "secret", Map.of("pin", "1234"));
        await(() -> got.size() == 1);
        assertThat(got.get(0).data()).isEqualTo("{\"pin\":\"1234\"}");
        assertThatThrownBy(() -> c.trigger("client-x", "{}")).isInstanceOf(IllegalArgumentException.class);
        assertThat(errors).isEmpty();
    }
    @Test
    void pingsAfterActivityTimeoutAndStaysConnectedWhileTheServerAnswers() throws Exception {
        start(freePort());
        List<State> states = new CopyOnWriteArrayList<>();
        PushSocket s = PushSocket.builder().port(port).key(KEY).activityTimeout(Duration.ofMillis(500))
                .pongTimeout(Duration.ofMillis(1500)).build();
        open.add(s);
        s.onStateChange((from, to) -> states.add(to));
        s.connect();
        await(() -> s.state() == State.CONNECTED);
        String id = s.socketId();
        Thread.sleep(4_000); // several ping / pong rounds; a missing pong would have dropped the connection
        assertThat(s.socketId()).isEqualTo(id);
        assertThat(states).containsExactly(State.CONNECTING, State.CONNECTED);
    }
    @Test
    void anHttpAuthEndpointAuthorizesPresenceAndUnsubscribeAllLeaves() throws Exception {
        int p = freePort();
        this.port = p;
        // the demo's sample auth endpoint (POST /subscribe/auth, form socket_id + channel_name + user_id / user_name)
        server = PushServer.start(ConfigLoader.fromYaml(APPS + "port: " + p + "\ndemo: true\n", Map.of()));
        String endpoint = "http://127.0.0.1:" + p + "/subscribe/auth";
        PushSocket s = socket(new HttpChannelAuthorizer(endpoint, Map.of(),
                Map.of("user_id", "carol", "user_name", "Carol")));
        SocketChannel room = s.subscribe("presence-lobby");
        SocketChannel priv = s.subscribe("private-notes");
        await(() -> room.isSubscribed() && priv.isSubscribed());
        assertThat(room.me().id()).isEqualTo("carol");
        assertThat(room.members()).containsOnlyKeys("carol");

        s.unsubscribeAll();
        assertThat(s.channels()).isEmpty();
        Pusher api = api();
        await(() -> api.get("/channels/presence-lobby").getMessage().contains("\"occupied\":false")
                && api.get("/channels/private-notes").getMessage().contains("\"occupied\":false"));
    }

    @Test
    void anAuthEndpointThatRefusesFailsTheSubscription() throws Exception {
        start(freePort());
        List<String> errors = new CopyOnWriteArrayList<>();
        // the demo endpoint is off on this server: 404
        PushSocket s = socket(new HttpChannelAuthorizer("http://127.0.0.1:" + port + "/subscribe/auth"));
        s.subscribe("private-x").onError(errors::add);
        await(() -> !errors.isEmpty());
        assertThat(errors.get(0)).contains("404");
    }
}
