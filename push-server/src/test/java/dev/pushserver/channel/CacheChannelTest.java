package dev.pushserver.channel;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Messages.subscribeWithoutAuth;
import static dev.pushserver.testing.Signing.channelAuth;
import static dev.pushserver.user.UserTestKit.api;
import static dev.pushserver.user.UserTestKit.b64;
import static dev.pushserver.user.UserTestKit.data;
import static dev.pushserver.user.UserTestKit.ok;
import static dev.pushserver.user.UserTestKit.sharedSecret;
import static dev.pushserver.user.UserTestKit.triggerBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pusher.client.ChannelAuthorizer;
import com.pusher.client.Pusher;
import com.pusher.client.channel.Channel;
import com.pusher.client.channel.PrivateEncryptedChannel;
import com.pusher.client.channel.PrivateEncryptedChannelEventListener;
import com.pusher.client.channel.PusherEvent;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.TestServer;
import dev.pushserver.user.UserTestKit.Conn;
import dev.pushserver.user.UserTestKit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Cache channels (reference §2.10, §4.5 info=cache, DOC-CH cache-channels.md). */
class CacheChannelTest {

    static final String KEY = "key-1";
    static final String SECRET = "secret-1";
    static final byte[] MASTER_KEY = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);

    static final String APPS = apps(
            app(1, "enable_client_messages: true"),
            app(2, "cache_ttl: 1"),
            app(3, "enable_cache_channels: false", "enable_client_messages: true"));

    @RegisterExtension
    final TestServer server = TestServer.perTest(APPS);
    com.pusher.rest.Pusher sdk;

    @BeforeEach
    void start() {
        sdk = api(server, "app-1", KEY, SECRET);
    }

    private void trigger(com.pusher.rest.Pusher api, String channel, String event, String data) throws Exception {
        assertThat(ok(api.post("/events", triggerBody(channel, event, data))).toString()).isEqualTo("{}");
    }

    private JsonNode cacheInfo(com.pusher.rest.Pusher api, String channel) throws Exception {
        return ok(api.get("/channels/" + channel, Map.of("info", "cache")));
    }

    /** subscription_succeeded, then immediately the cached event as a normal channel event. */
    private static void expectReplay(Conn c, String channel, String event, String data) throws Exception {
        c.expect("pusher_internal:subscription_succeeded", channel);
        JsonNode replay = c.next();
        assertThat(replay.path("event").asText()).as("right after subscription_succeeded: %s", replay)
                .isEqualTo(event);
        assertThat(replay.path("channel").asText()).isEqualTo(channel);
        assertThat(replay.get("data").isTextual()).isTrue();
        assertThat(replay.get("data").asText()).isEqualTo(data);
    }

    /** subscription_succeeded, then immediately pusher:cache_miss on the channel, with a data field. */
    private static void expectMiss(Conn c, String channel) throws Exception {
        c.expect("pusher_internal:subscription_succeeded", channel);
        JsonNode miss = c.next();
        assertThat(miss.path("event").asText()).as("right after subscription_succeeded: %s", miss)
                .isEqualTo("pusher:cache_miss");
        assertThat(miss.path("channel").asText()).isEqualTo(channel);
        assertThat(miss.has("data")).as("data present (Java NPE otherwise): %s", miss).isTrue();
    }

    @Test
    void lastEventTriggeredWithNobodySubscribedIsReplayedRightAfterSubscriptionSucceeded() throws Exception {
        trigger(sdk, "cache-x", "price", "{\"v\":1}");
        trigger(sdk, "cache-x", "price", "{\"v\":2}");
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY)) {
            a.send(subscribeWithoutAuth("cache-x"));
            expectReplay(a, "cache-x", "price", "{\"v\":2}");
            a.expectOnlyPong();
            // a live event updates the cache for the next subscriber
            trigger(sdk, "cache-x", "other", "plain text");
            a.expect("other", "cache-x");
            b.send(subscribeWithoutAuth("cache-x"));
            expectReplay(b, "cache-x", "other", "plain text");
        }
    }

    @Test
    void javaClientReceivesTheCachedEventAndCacheMiss() throws Exception {
        trigger(sdk, "cache-hit", "price", "{\"v\":7}");
        Pusher client = server.pusherClient(KEY, null, null);
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        try {
            UserTestKit.connectAndWait(client);
            Channel hit = client.subscribe("cache-hit");
            hit.bind("price", e -> got.add("hit " + e.getEventName() + " " + e.getData()));
            hit.bind("pusher:cache_miss", e -> got.add("hit miss"));
            Channel miss = client.subscribe("cache-miss");
            miss.bind("pusher:cache_miss", e -> got.add("miss " + e.getEventName() + " " + e.getChannelName()));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> got.size() >= 2);
            assertThat(got).containsExactlyInAnyOrder("hit price {\"v\":7}", "miss pusher:cache_miss cache-miss");
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }

    @Test
    void emptyCacheChannelSendsCacheMiss() throws Exception {
        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribeWithoutAuth("cache-empty"));
            expectMiss(a, "cache-empty");
            a.expectOnlyPong();
        }
    }

    @Test
    void privateAndPresenceCacheChannelsNeedAuthAsUsual() throws Exception {
        trigger(sdk, "private-cache-p", "state", "p1");
        trigger(sdk, "presence-cache-q", "state", "q1");
        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribe("private-cache-p", null, null));
            a.expectRejected("private-cache-p");
            a.send(subscribe("private-cache-p", channelAuth(KEY, "bad", a.socketId(), "private-cache-p", null), null));
            a.expectRejected("private-cache-p");
            a.send(subscribe("presence-cache-q", null, "{\"user_id\":\"1\"}"));
            a.expectRejected("presence-cache-q");

            a.send(subscribeSigned(KEY, SECRET, a.socketId(), "private-cache-p"));
            expectReplay(a, "private-cache-p", "state", "p1");
            a.send(subscribePresence(KEY, SECRET, a.socketId(), "presence-cache-q", "{\"user_id\":\"1\"}"));
            expectReplay(a, "presence-cache-q", "state", "q1");
            a.send(subscribeSigned(KEY, SECRET, a.socketId(), "private-cache-empty"));
            expectMiss(a, "private-cache-empty");
            a.send(subscribePresence(KEY, SECRET, a.socketId(), "presence-cache-empty", "{\"user_id\":\"1\"}"));
            expectMiss(a, "presence-cache-empty");
        }
    }

    @Test
    void clientEventsOnPrivateCacheChannelsAreRelayedButNotCached() throws Exception {
        // DOC-CH cache-channels.md "Are client events also supported?": "we do not cache client events";
        // reference §2.10 "Client events are not cached."
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY); Conn late = Conn.open(server, KEY)) {
            for (Conn c : List.of(a, b)) {
                c.send(subscribeSigned(KEY, SECRET, c.socketId(), "private-cache-chat"));
                expectMiss(c, "private-cache-chat");
            }
            a.send(Messages.clientEventWithStringData("client-typing", "private-cache-chat", "{\"who\":\"a\"}"));
            JsonNode relayed = b.expect("client-typing", "private-cache-chat");
            assertThat(data(relayed).get("who").asText()).isEqualTo("a");

            late.send(subscribeSigned(KEY, SECRET, late.socketId(), "private-cache-chat"));
            expectMiss(late, "private-cache-chat");
            assertThat(cacheInfo(sdk, "private-cache-chat").get("cache").isNull()).isTrue();
        }
    }

    @Test
    void aClientEventDoesNotReplaceTheCachedServerEvent() throws Exception {
        trigger(sdk, "private-cache-doc", "server-state", "s1");
        try (Conn a = Conn.open(server, KEY); Conn late = Conn.open(server, KEY)) {
            a.send(subscribeSigned(KEY, SECRET, a.socketId(), "private-cache-doc"));
            expectReplay(a, "private-cache-doc", "server-state", "s1");
            a.send(Messages.clientEventWithStringData("client-edit", "private-cache-doc", "c1"));
            a.expectOnlyPong();
            late.send(subscribeSigned(KEY, SECRET, late.socketId(), "private-cache-doc"));
            expectReplay(late, "private-cache-doc", "server-state", "s1");
        }
    }

    @Test
    void clientEventsOnPublicCacheChannelsAreRejectedAndNotCached() throws Exception {
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY)) {
            a.send(subscribeWithoutAuth("cache-pub"));
            expectMiss(a, "cache-pub");
            a.send(Messages.clientEventWithStringData("client-x", "cache-pub", "{}"));
            JsonNode err = a.expect("pusher:error", null);
            assertThat(err.get("data").get("code").isNull()).as("non-fatal: %s", err).isTrue();
            b.send(subscribeWithoutAuth("cache-pub"));
            expectMiss(b, "cache-pub");
        }
    }

    @Test
    void cachedEventExpiresAfterCacheTtl() throws Exception {
        com.pusher.rest.Pusher api2 = api(server, "app-2", "key-2", "secret-2");
        trigger(api2, "cache-short", "tick", "t1");
        JsonNode info = cacheInfo(api2, "cache-short");
        assertThat(info.get("cache").get("data").asText()).isEqualTo("t1");
        assertThat(info.get("cache").get("ttl").asInt()).isBetween(0, 1);
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> cacheInfo(api2, "cache-short").get("cache").isNull());
        try (Conn a = Conn.open(server, "key-2")) {
            a.send(subscribeWithoutAuth("cache-short"));
            expectMiss(a, "cache-short");
        }
    }

    @Test
    void expiredEntryIsNotReplayedEvenBeforeAnyQuery() throws Exception {
        com.pusher.rest.Pusher api2 = api(server, "app-2", "key-2", "secret-2");
        trigger(api2, "cache-short2", "tick", "t1");
        // let the 1 s TTL pass without touching the entry (a plain wait: there is nothing to poll)
        Thread.sleep(1300);
        try (Conn a = Conn.open(server, "key-2")) {
            a.send(subscribeWithoutAuth("cache-short2"));
            expectMiss(a, "cache-short2");
        }
    }

    @Test
    void infoCacheReportsTheCachedDataAndTtl() throws Exception {
        JsonNode empty = cacheInfo(sdk, "cache-q");
        assertThat(empty.get("occupied").asBoolean()).isFalse();
        assertThat(empty.has("cache")).as("cache key present: %s", empty).isTrue();
        assertThat(empty.get("cache").isNull()).as("null when nothing cached: %s", empty).isTrue();

        trigger(sdk, "cache-q", "state", "{\"n\":1}");
        JsonNode full = cacheInfo(sdk, "cache-q");
        assertThat(full.get("occupied").asBoolean()).isFalse();
        assertThat(full.get("cache").get("data").asText()).isEqualTo("{\"n\":1}");
        assertThat(full.get("cache").get("ttl").isIntegralNumber()).isTrue();
        assertThat(full.get("cache").get("ttl").asInt()).isBetween(1790, 1800);

        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribeWithoutAuth("cache-q"));
            expectReplay(a, "cache-q", "state", "{\"n\":1}");
            assertThat(cacheInfo(sdk, "cache-q").get("occupied").asBoolean()).isTrue();
        }
    }

    @Test
    void infoCacheOnANonCacheChannelIs400() throws Exception {
        for (String channel : List.of("news", "private-x", "presence-x", "private-encrypted-x")) {
            Result r = sdk.get("/channels/" + channel, Map.of("info", "cache"));
            assertThat(r.getHttpStatus()).as("%s: %s", channel, r.getMessage()).isEqualTo(400);
        }
    }

    @Test
    void oversizeTriggerIs413AndCachesNothing() throws Exception {
        trigger(sdk, "cache-big", "small", "before");
        String big = "x".repeat(10_241);
        Result r = sdk.post("/events", triggerBody("cache-big", "huge", big));
        assertThat(r.getHttpStatus()).as("body %s", r.getMessage()).isEqualTo(413);
        assertThat(cacheInfo(sdk, "cache-big").get("cache").get("data").asText()).isEqualTo("before");

        Result r2 = sdk.post("/events", triggerBody("cache-big2", "huge", big));
        assertThat(r2.getHttpStatus()).isEqualTo(413);
        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribeWithoutAuth("cache-big2"));
            expectMiss(a, "cache-big2");
            a.send(subscribeWithoutAuth("cache-big"));
            expectReplay(a, "cache-big", "small", "before");
        }
    }

    @Test
    void aBatchWithOneOversizeEventIs413AndCachesNothingAtAll() throws Exception {
        ObjectNode body = UserTestKit.JSON.createObjectNode();
        var batch = body.putArray("batch");
        batch.addObject().put("name", "ok").put("channel", "cache-b1").put("data", "fine");
        batch.addObject().put("name", "huge").put("channel", "cache-b2").put("data", "x".repeat(10_241));
        Result r = sdk.post("/batch_events", body.toString());
        assertThat(r.getHttpStatus()).as("body %s", r.getMessage()).isEqualTo(413);
        assertThat(cacheInfo(sdk, "cache-b1").get("cache").isNull()).as("rejected request changes nothing").isTrue();
        assertThat(cacheInfo(sdk, "cache-b2").get("cache").isNull()).isTrue();
    }

    @Test
    void batchEventsToCacheChannelsAreCached() throws Exception {
        ObjectNode body = UserTestKit.JSON.createObjectNode();
        var batch = body.putArray("batch");
        batch.addObject().put("name", "a").put("channel", "cache-b3").put("data", "one");
        batch.addObject().put("name", "b").put("channel", "cache-b3").put("data", "two");
        assertThat(ok(sdk.post("/batch_events", body.toString())).toString()).isEqualTo("{}");
        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribeWithoutAuth("cache-b3"));
            expectReplay(a, "cache-b3", "b", "two");
        }
    }

    @Test
    void exactlyMaxPayloadIsCached() throws Exception {
        String max = "y".repeat(10_240);
        trigger(sdk, "cache-max", "full", max);
        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribeWithoutAuth("cache-max"));
            expectReplay(a, "cache-max", "full", max);
        }
    }

    @Test
    void noReplayAndNoCacheMissWhenCacheChannelsAreDisabled() throws Exception {
        com.pusher.rest.Pusher api3 = api(server, "app-3", "key-3", "secret-3");
        trigger(api3, "cache-off", "state", "s");
        try (Conn a = Conn.open(server, "key-3")) {
            a.send(subscribeWithoutAuth("cache-off"));
            a.expect("pusher_internal:subscription_succeeded", "cache-off");
            a.send(subscribeWithoutAuth("cache-never"));
            a.expect("pusher_internal:subscription_succeeded", "cache-never");
            a.expectOnlyPong();
            // they still work as ordinary channels
            trigger(api3, "cache-off", "live", "l");
            a.expect("live", "cache-off");
        }
    }

    @Test
    void javaClientOnAnEncryptedCacheChannelHandlesCacheMissAndDecryptsTheReplay() throws Exception {
        String channel = "private-encrypted-cache-z";
        ChannelAuthorizer authorizer = (ch, socketId) -> {
            ObjectNode r = UserTestKit.JSON.createObjectNode();
            r.put("auth", channelAuth(KEY, SECRET, socketId, ch, null));
            r.put("shared_secret", b64(sharedSecret(ch, MASTER_KEY)));
            return r.toString();
        };
        com.pusher.rest.Pusher encrypting = new com.pusher.rest.Pusher("app-1", KEY, SECRET,
                Base64.getEncoder().encodeToString(MASTER_KEY));
        encrypting.setHost("127.0.0.1:" + server.apiPort());
        encrypting.setEncrypted(false);
        encrypting.setRequestTimeout(20_000);

        Pusher first = server.pusherClient(KEY, authorizer, null);
        Pusher second = server.pusherClient(KEY, authorizer, null);
        BlockingQueue<String> got1 = new LinkedBlockingQueue<>();
        BlockingQueue<String> got2 = new LinkedBlockingQueue<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        try {
            UserTestKit.connectAndWait(first);
            PrivateEncryptedChannel c1 = first.subscribePrivateEncrypted(channel, listener(got1, failures),
                    "pusher:cache_miss", "state");
            String miss = got1.poll(10, TimeUnit.SECONDS);
            assertThat(miss).as("cache miss seen; failures %s", failures).isEqualTo("pusher:cache_miss {}");
            assertThat(c1.isSubscribed()).isTrue();
            assertThat(first.getConnection().getState().name()).isEqualTo("CONNECTED");

            assertThat(ok(encrypting.trigger(channel, "state", Map.of("s", 1))).toString()).isEqualTo("{}");
            assertThat(got1.poll(10, TimeUnit.SECONDS)).isEqualTo("state {\"s\":1}");

            UserTestKit.connectAndWait(second);
            second.subscribePrivateEncrypted(channel, listener(got2, failures), "pusher:cache_miss", "state");
            assertThat(got2.poll(10, TimeUnit.SECONDS)).as("replayed ciphertext decrypts").isEqualTo("state {\"s\":1}");
            assertThat(failures).isEmpty();
        } finally {
            UserTestKit.disconnectQuietly(first);
            UserTestKit.disconnectQuietly(second);
        }
    }

    private static PrivateEncryptedChannelEventListener listener(BlockingQueue<String> got, List<String> failures) {
        return new PrivateEncryptedChannelEventListener() {
            @Override
            public void onEvent(PusherEvent event) {
                got.add(event.getEventName() + " " + event.getData());
            }

            @Override
            public void onSubscriptionSucceeded(String channelName) {
            }

            @Override
            public void onAuthenticationFailure(String message, Exception e) {
                failures.add("auth " + message);
            }

            @Override
            public void onDecryptionFailure(String event, String reason) {
                failures.add("decrypt " + event + " " + reason);
            }
        };
    }
}
