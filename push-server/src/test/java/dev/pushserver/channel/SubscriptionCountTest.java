package dev.pushserver.channel;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Messages.subscribeWithoutAuth;
import static dev.pushserver.testing.Messages.unsubscribe;
import static dev.pushserver.user.UserTestKit.api;
import static dev.pushserver.user.UserTestKit.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pusher.client.Pusher;
import com.pusher.client.channel.Channel;
import com.pusher.client.channel.PrivateChannel;
import com.pusher.client.channel.PusherEvent;
import dev.pushserver.testing.ChannelRecorder;
import dev.pushserver.testing.SigningAuthorizer;
import dev.pushserver.testing.TestServer;
import dev.pushserver.user.UserTestKit.Conn;
import dev.pushserver.user.UserTestKit;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code pusher_internal:subscription_count} (reference §2.11) and {@code info=subscription_count} (§4.3, §4.5). */
class SubscriptionCountTest {

    static final String KEY = "key-1";
    static final String SECRET = "secret-1";

    static final String APPS = apps(
            app(1, "enable_subscription_count: true"),
            app(2));

    @RegisterExtension
    final TestServer server = TestServer.perTest(APPS);

    /** Next message must be the count event for the channel, with the count as a JSON string in data. */
    static void expectCount(Conn c, String channel, int n) throws Exception {
        JsonNode m = c.expect("pusher_internal:subscription_count", channel);
        assertThat(m.get("data").isTextual()).as("data is a JSON string: %s", m).isTrue();
        JsonNode d = UserTestKit.JSON.readTree(m.get("data").asText());
        assertThat(d.get("subscription_count").isIntegralNumber()).as("numeric count: %s", m).isTrue();
        assertThat(d.get("subscription_count").asInt()).as("count in %s", m).isEqualTo(n);
    }

    private void countsFollowSubscribeUnsubscribeAndDisconnect(String channel, Function<Conn, String> subscribe)
            throws Exception {
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY); Conn c = Conn.open(server, KEY)) {
            a.send(subscribe.apply(a));
            a.expect("pusher_internal:subscription_succeeded", channel);
            expectCount(a, channel, 1);

            b.send(subscribe.apply(b));
            b.expect("pusher_internal:subscription_succeeded", channel);
            expectCount(b, channel, 2);
            expectCount(a, channel, 2);

            b.send(unsubscribe(channel));
            expectCount(a, channel, 1);

            c.send(subscribe.apply(c));
            c.expect("pusher_internal:subscription_succeeded", channel);
            expectCount(c, channel, 2);
            expectCount(a, channel, 2);
            c.close(); // disconnect without unsubscribing
            expectCount(a, channel, 1);

            a.expectOnlyPong();
            b.expectQuiet(200); // b left: it hears nothing more
        }
    }

    @Test
    void publicChannelSubscribersGetTheCountOnSubscribeUnsubscribeAndDisconnect() throws Exception {
        countsFollowSubscribeUnsubscribeAndDisconnect("news", c -> subscribeWithoutAuth("news"));
    }

    @Test
    void privateChannelSubscribersGetTheCountOnSubscribeUnsubscribeAndDisconnect() throws Exception {
        countsFollowSubscribeUnsubscribeAndDisconnect("private-x", c -> subscribeSigned(KEY, SECRET, c.socketId(),
                "private-x"));
    }

    @Test
    void cacheChannelsCountLikeTheirBaseType() throws Exception {
        try (Conn a = Conn.open(server, KEY)) {
            a.send(subscribeWithoutAuth("cache-c"));
            a.expect("pusher_internal:subscription_succeeded", "cache-c");
            a.expect("pusher:cache_miss", "cache-c");
            expectCount(a, "cache-c", 1);
        }
    }

    @Test
    void presenceChannelsGetNoCount() throws Exception {
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY)) {
            a.send(subscribePresence(KEY, SECRET, a.socketId(), "presence-p", "{\"user_id\":\"1\"}"));
            a.expect("pusher_internal:subscription_succeeded", "presence-p");
            a.send(subscribeWithoutAuth("ctl"));
            a.expect("pusher_internal:subscription_succeeded", "ctl");
            expectCount(a, "ctl", 1);

            // b: presence first, then the control channel; what b causes reaches a in that order
            b.send(subscribePresence(KEY, SECRET, b.socketId(), "presence-p", "{\"user_id\":\"2\"}"));
            b.send(subscribeWithoutAuth("ctl"));
            a.expect("pusher_internal:member_added", "presence-p");
            expectCount(a, "ctl", 2);
            b.send(unsubscribe("presence-p"));
            b.send(unsubscribe("ctl"));
            a.expect("pusher_internal:member_removed", "presence-p");
            expectCount(a, "ctl", 1);
            a.expectOnlyPong();
        }
    }

    @Test
    void noCountEventsWhenTheFeatureIsOff() throws Exception {
        try (Conn a = Conn.open(server, "key-2"); Conn b = Conn.open(server, "key-2")) {
            a.send(subscribeWithoutAuth("news"));
            a.expect("pusher_internal:subscription_succeeded", "news");
            a.send(subscribeSigned("key-2", "secret-2", a.socketId(), "private-x"));
            a.expect("pusher_internal:subscription_succeeded", "private-x");
            a.expectOnlyPong();
            b.send(subscribeWithoutAuth("news"));
            b.expect("pusher_internal:subscription_succeeded", "news");
            b.send(subscribeSigned("key-2", "secret-2", b.socketId(), "private-x"));
            b.expect("pusher_internal:subscription_succeeded", "private-x");
            b.expectOnlyPong();
            a.expectQuiet(300);
        }
    }

    @Test
    void aboveOneHundredSubscribersCountsAreThrottledToOneEveryFiveSecondsCarryingTheLatestCount()
            throws Exception {
        List<Conn> conns = new java.util.ArrayList<>();
        try {
            // 1..100: one count per subscribe, each carrying the new total (wait for it so the order is fixed)
            for (int k = 1; k <= 100; k++) {
                Conn c = Conn.open(server, KEY);
                conns.add(c);
                c.send(subscribeWithoutAuth("big"));
                c.expect("pusher_internal:subscription_succeeded", "big");
                expectCount(c, "big", k);
            }
            Conn first = conns.get(0);
            for (int k = 2; k <= 100; k++) { // it read count 1 above
                expectCount(first, "big", k);
            }
            long sentHundred = System.nanoTime();
            // 101..105 in a burst: above 100 subscribers, so at most one more count within 5 s, with the final total
            for (int k = 101; k <= 105; k++) {
                Conn c = Conn.open(server, KEY);
                conns.add(c);
                c.send(subscribeWithoutAuth("big"));
                c.expect("pusher_internal:subscription_succeeded", "big");
            }
            String raw = first.ws().next(15_000);
            assertThat(raw).as("one throttled count after the burst").isNotNull();
            long gapMs = (System.nanoTime() - sentHundred) / 1_000_000;
            JsonNode m = UserTestKit.JSON.readTree(raw);
            assertThat(m.path("event").asText()).as("%s", m).isEqualTo("pusher_internal:subscription_count");
            assertThat(UserTestKit.JSON.readTree(m.get("data").asText()).get("subscription_count").asInt())
                    .as("the count when it is sent, not when it was scheduled: %s", m).isEqualTo(105);
            assertThat(gapMs).as("held back by the 5 s throttle").isGreaterThanOrEqualTo(3_000);
            // the newcomers get the same single event, and nothing else follows
            for (Conn c : conns.subList(100, 105)) {
                expectCount(c, "big", 105);
            }
            first.expectOnlyPong();
        } finally {
            conns.forEach(Conn::close);
        }
    }

    @Test
    void javaClientExposesTheCountAsPusherSubscriptionCountAndGetCount() throws Exception {
        Pusher client = server.pusherClient(KEY, new SigningAuthorizer("app-1", KEY, SECRET, null), null);
        ChannelRecorder newsRec = new ChannelRecorder();
        ChannelRecorder privRec = new ChannelRecorder();
        BlockingQueue<PusherEvent> pub = newsRec.events;
        BlockingQueue<PusherEvent> priv = privRec.events;
        try (Conn other = Conn.open(server, KEY)) {
            UserTestKit.connectAndWait(client);
            Channel news = client.subscribe("news", newsRec, "pusher:subscription_count");
            PrivateChannel px = client.subscribePrivate("private-x", privRec, "pusher:subscription_count");

            PusherEvent first = pub.poll(10, TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(first.getEventName()).isEqualTo("pusher:subscription_count");
            assertThat(first.getChannelName()).isEqualTo("news");
            assertThat(UserTestKit.JSON.readTree(first.getData()).get("subscription_count").asInt()).isEqualTo(1);
            assertThat(count(news)).isEqualTo(1);
            PusherEvent firstPriv = priv.poll(10, TimeUnit.SECONDS);
            assertThat(firstPriv).isNotNull();
            assertThat(count(px)).isEqualTo(1);

            other.send(subscribeWithoutAuth("news"));
            other.send(subscribeSigned(KEY, SECRET, other.socketId(), "private-x"));
            assertThat(pub.poll(10, TimeUnit.SECONDS)).isNotNull();
            assertThat(priv.poll(10, TimeUnit.SECONDS)).isNotNull();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Integer.valueOf(2).equals(count(news))
                    && Integer.valueOf(2).equals(count(px)));

            other.close();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Integer.valueOf(1).equals(count(news))
                    && Integer.valueOf(1).equals(count(px)));
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }

    @Test
    void triggerAndChannelQueryReportTheSubscriptionCount() throws Exception {
        try (Conn a = Conn.open(server, KEY); Conn b = Conn.open(server, KEY); Conn p = Conn.open(server, KEY)) {
            for (Conn c : List.of(a, b)) {
                c.send(subscribeWithoutAuth("news"));
                c.expect("pusher_internal:subscription_succeeded", "news");
                expectCount(c, "news", c == a ? 1 : 2);
            }
            expectCount(a, "news", 2);
            a.send(subscribeSigned(KEY, SECRET, a.socketId(), "private-x"));
            a.expect("pusher_internal:subscription_succeeded", "private-x");
            p.send(subscribePresence(KEY, SECRET, p.socketId(), "presence-p", "{\"user_id\":\"9\"}"));
            p.expect("pusher_internal:subscription_succeeded", "presence-p");

            com.pusher.rest.Pusher sdk = api(server, "app-1", KEY, SECRET);
            ObjectNode body = UserTestKit.JSON.createObjectNode();
            body.put("name", "evt");
            body.putArray("channels").add("news").add("private-x").add("presence-p").add("empty-one");
            body.put("data", "d");
            body.put("info", "subscription_count,user_count");
            JsonNode res = ok(sdk.post("/events", body.toString()));
            JsonNode ch = res.get("channels");
            assertThat(ch.get("news").get("subscription_count").asInt()).as("%s", res).isEqualTo(2);
            assertThat(ch.get("private-x").get("subscription_count").asInt()).as("%s", res).isEqualTo(1);
            assertThat(ch.get("presence-p").get("user_count").asInt()).as("%s", res).isEqualTo(1);
            assertThat(ch.get("presence-p").get("subscription_count").asInt()).as("connections, on presence too: %s",
                    res).isEqualTo(1);
            assertThat(ch.get("empty-one").path("subscription_count").asInt(0)).as("%s", res).isZero();

            JsonNode q = ok(sdk.get("/channels/news", Map.of("info", "subscription_count")));
            assertThat(q.get("occupied").asBoolean()).isTrue();
            assertThat(q.get("subscription_count").asInt()).isEqualTo(2);
        }
    }

    /** The Java client keeps the last count on its channel implementation (not on the public interface). */
    static Integer count(com.pusher.client.channel.Channel channel) {
        return ((com.pusher.client.channel.impl.InternalChannel) channel).getCount();
    }
}
