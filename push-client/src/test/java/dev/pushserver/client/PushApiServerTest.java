package dev.pushserver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every PushApi call against a real push-server started in this JVM, observed through raw WebSockets. */
class PushApiServerTest {

    static InJvmServer server;
    static PushApi api;
    final java.util.List<RawSocket> sockets = new java.util.ArrayList<>();

    @BeforeAll
    static void start() {
        server = InJvmServer.start();
        api = server.api(1);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void closeSockets() {
        sockets.forEach(RawSocket::close);
    }

    RawSocket socket() throws Exception {
        RawSocket s = new RawSocket(server.wsPort(), "key-1");
        sockets.add(s);
        return s;
    }

    RawSocket presence(String channel, String userId) throws Exception {
        RawSocket s = socket();
        s.subscribe(channel, api.authorizeChannel(s.socketId, channel,
                PushApi.presenceData(userId, Map.of("name", "user " + userId))));
        return s;
    }

    @Test
    void triggerToOneChannelIsDelivered() throws Exception {
        RawSocket s = socket();
        s.subscribe("room-1", null);
        PushApi.TriggerResult r = api.trigger("room-1", "greet", Map.of("text", "hi"));
        assertThat(r.channels()).isEmpty();
        JsonNode m = s.next("greet");
        assertThat(m.get("channel").asText()).isEqualTo("room-1");
        assertThat(m.get("data").asText()).isEqualTo("{\"text\":\"hi\"}");
        // body_md5 is over the UTF-8 bytes actually sent
        api.trigger("room-1", "greet", "h\u00e9llo \u2713 \ud83d\ude00");
        assertThat(s.next("greet").get("data").asText()).isEqualTo("h\u00e9llo \u2713 \ud83d\ude00");
    }

    @Test
    void triggerToManyChannelsSkipsTheExcludedSocket() throws Exception {
        RawSocket a = socket();
        RawSocket b = socket();
        a.subscribe("multi-a", null);
        b.subscribe("multi-b", null);
        a.subscribe("private-multi-c", api.authorizeChannel(a.socketId, "private-multi-c"));
        api.trigger(List.of("multi-a", "multi-b", "private-multi-c"), "news", "first",
                TriggerOptions.excluding(a.socketId));
        assertThat(b.next("news").get("data").asText()).isEqualTo("first");
        api.trigger(List.of("multi-a", "multi-b"), "news", "second");
        // a's first "news" is the second event: the first one was excluded
        assertThat(a.next("news").get("data").asText()).isEqualTo("second");
        assertThat(b.next("news").get("data").asText()).isEqualTo("second");
    }

    @Test
    void triggerWithInfoReturnsTheChannelsAttributes() throws Exception {
        presence("presence-info", "u1");
        presence("presence-info", "u1");
        presence("presence-info", "u2");
        RawSocket p = socket();
        p.subscribe("plain-info", null);
        PushApi.TriggerResult r = api.trigger(List.of("presence-info", "plain-info"), "e", "{}",
                TriggerOptions.withInfo("user_count", "subscription_count"));
        assertThat(r.channels().get("presence-info")).isEqualTo(new ChannelInfo(null, 2, 3, null));
        assertThat(r.channels().get("plain-info").subscriptionCount()).isEqualTo(1);
    }

    @Test
    void triggerBatchDeliversEachEventAndReturnsAlignedInfo() throws Exception {
        RawSocket s = socket();
        s.subscribe("batch-1", null);
        s.subscribe("batch-2", null);
        PushApi.BatchResult r = api.triggerBatch(List.of(
                new BatchEvent("batch-1", "one", "1"),
                new BatchEvent("batch-2", "two", Map.of("n", 2), null, List.of("subscription_count"))));
        assertThat(s.next("one").get("channel").asText()).isEqualTo("batch-1");
        assertThat(s.next("two").get("data").asText()).isEqualTo("{\"n\":2}");
        assertThat(r.batch()).hasSize(2);
        assertThat(r.batch().get(1).subscriptionCount()).isEqualTo(1);
    }

    @Test
    void sendToUserReachesTheSignedInConnection() throws Exception {
        RawSocket s = socket();
        s.signin(api.authenticateUser(s.socketId, "{\"id\":\"alice\"}"));
        api.sendToUser("alice", "dm", "hello alice");
        JsonNode m = s.next("dm");
        assertThat(m.get("channel").asText()).isEqualTo("#server-to-user-alice");
        assertThat(m.get("data").asText()).isEqualTo("hello alice");
    }

    @Test
    void channelQueries() throws Exception {
        presence("presence-q", "u1");
        presence("presence-q", "u2");
        presence("presence-q", "u2");
        socket().subscribe("cache-q", null);
        socket().subscribe("other-q", null);

        assertThat(api.channels()).containsKeys("presence-q", "cache-q", "other-q");
        Map<String, ChannelInfo> pres = api.channels("presence-", true);
        assertThat(pres).containsOnlyKeys("presence-q");
        assertThat(pres.get("presence-q").userCount()).isEqualTo(2);
        assertThat(api.channels("cache-", false)).containsOnlyKeys("cache-q");

        ChannelInfo info = api.channel("presence-q", "user_count", "subscription_count");
        assertThat(info).isEqualTo(new ChannelInfo(true, 2, 3, null));
        assertThat(api.channel("nobody-here")).isEqualTo(new ChannelInfo(false, null, null, null));

        api.trigger("cache-q", "cached", "payload");
        ChannelInfo cache = api.channel("cache-q", "cache");
        assertThat(cache.cache().data()).isEqualTo("payload");
        assertThat(cache.cache().ttl()).isPositive();

        assertThat(api.users("presence-q")).containsExactlyInAnyOrder("u1", "u2");
    }

    @Test
    void channelNamesWithEveryAllowedCharacterAreSignedOnTheDecodedPath() throws Exception {
        String name = "private-a_b-c=d@e,f.g;h";
        RawSocket s = socket();
        s.subscribe(name, api.authorizeChannel(s.socketId, name));
        assertThat(api.channel(name, "subscription_count")).isEqualTo(new ChannelInfo(true, null, 1, null));
        api.trigger(name, "odd", "ok");
        assertThat(s.next("odd").get("channel").asText()).isEqualTo(name);
        assertThat(api.channels("private-a_b-c=d@", false)).containsOnlyKeys(name);
    }

    @Test
    void terminateUserConnectionsClosesTheSignedInSockets() throws Exception {
        RawSocket bob = socket();
        bob.signin(api.authenticateUser(bob.socketId, Map.of("id", "bob")));
        RawSocket other = socket();
        other.signin(api.authenticateUser(other.socketId, Map.of("id", "carol")));
        api.terminateUserConnections("bob");
        assertThat(bob.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4009);
        assertThat(other.closed).isNotDone();
    }

    @Test
    void asyncVariantsCompleteAndFailWithPushApiException() throws Exception {
        RawSocket s = socket();
        s.subscribe("async-1", null);
        api.triggerAsync("async-1", "ev", "x").get(5, TimeUnit.SECONDS);
        assertThat(s.next("ev").get("data").asText()).isEqualTo("x");
        assertThat(api.channelAsync("async-1", "subscription_count").get(5, TimeUnit.SECONDS).subscriptionCount())
                .isEqualTo(1);
        assertThatThrownBy(() -> api.usersAsync("not-presence").join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void aWrongSecretGives401() {
        PushApi bad = server.api("app-1", "key-1", "not-the-secret");
        assertThatThrownBy(() -> bad.trigger("x", "e", "d"))
                .isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isEqualTo(401));
        assertThatThrownBy(() -> bad.channels())
                .isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isEqualTo(401));
        PushApi wrongKey = server.api("app-1", "key-2", "secret-2");
        assertThatThrownBy(() -> wrongKey.channels())
                .isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void noServerGivesStatus0() throws Exception {
        int closedPort;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = ss.getLocalPort();
        }
        PushApi nowhere = PushApi.builder().host("127.0.0.1").port(closedPort).appId("app-1").key("key-1")
                .secret("secret-1").connectTimeout(Duration.ofSeconds(2)).build();
        assertThatThrownBy(() -> nowhere.channels())
                .isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isZero());
    }

    @Test
    void anUnknownAppGives404() {
        PushApi unknown = server.api("app-999", "key-1", "secret-1");
        assertThatThrownBy(() -> unknown.channels())
                .isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void anInvalidChannelGives400WithTheServersMessage() {
        assertThatThrownBy(() -> api.trigger("bad channel!", "e", "d"))
                .isInstanceOfSatisfying(PushApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).containsIgnoringCase("channel").doesNotContain("{\"error\"");
                });
        assertThatThrownBy(() -> api.channels("room-", true))
                .isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void theSecondAppIsSeparateAndUrlConfigurationWorks() throws Exception {
        PushApi fromUrl = PushApi.fromUrl("http://key-2:secret-2@127.0.0.1:" + server.apiPort() + "/apps/app-2");
        RawSocket s = new RawSocket(server.wsPort(), "key-2");
        sockets.add(s);
        s.subscribe("room-app2", null);
        fromUrl.trigger("room-app2", "e", "for app 2");
        assertThat(s.next("e").get("data").asText()).isEqualTo("for app 2");
        assertThat(api.channels()).doesNotContainKey("room-app2");
        PushApi timeouts = PushApi.builder().url("http://key-2:secret-2@127.0.0.1:" + server.apiPort() + "/apps/app-2")
                .connectTimeout(Duration.ofSeconds(1)).requestTimeout(Duration.ofSeconds(2)).build();
        assertThat(timeouts.channels()).containsKey("room-app2");
    }
}
