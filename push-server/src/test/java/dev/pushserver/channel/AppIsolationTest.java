package dev.pushserver.channel;

import static dev.pushserver.channel.ChannelTestSupport.FAST_STOP;
import static dev.pushserver.channel.ChannelTestSupport.expectSubscribeRejected;
import static dev.pushserver.channel.ChannelTestSupport.httpGet;
import static dev.pushserver.channel.ChannelTestSupport.occupied;
import static dev.pushserver.channel.ChannelTestSupport.raw;
import static dev.pushserver.channel.ChannelTestSupport.subscriptionCount;
import static dev.pushserver.channel.ChannelTestSupport.trigger;
import static dev.pushserver.channel.ChannelTestSupport.untilSentinel;
import static dev.pushserver.channel.ChannelTestSupport.userCount;
import static dev.pushserver.channel.ChannelTestSupport.users;
import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.clientEvent;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Signing.channelAuth;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.rest.data.Result;
import dev.pushserver.channel.ChannelTestSupport.Raw;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Apps are tenants: the same channel name in two apps is two channels. Events, counts, channel lists, presence
 * members, client events and auth secrets never cross from one app to the other. A fresh server per test, so the
 * channel lists contain only what the test created.
 */
class AppIsolationTest {

    // both apps allow client events here, so only isolation can stop them
    @RegisterExtension
    final TestServer server = TestServer.perTest(apps(
            app(1, "enable_client_messages: true"),
            app(2, "enable_client_messages: true")) + FAST_STOP);
    private com.pusher.rest.Pusher api1;
    private com.pusher.rest.Pusher api2;

    @BeforeEach
    void connectApis() {
        api1 = server.httpClient("app-1", "key-1", "secret-1");
        api2 = server.httpClient("app-2", "key-2", "secret-2");
    }

    private static List<String> channelNames(com.pusher.rest.Pusher api) throws Exception {
        List<String> names = new ArrayList<>();
        httpGet(api, "/channels", Map.of()).path("channels").fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void httpTriggerReachesOnlyTheAppItWasSentTo() throws Exception {
        try (Raw one = raw(server, "key-1"); Raw two = raw(server, "key-2")) {
            one.subscribeOk(subscribe("shared"), "shared");
            two.subscribeOk(subscribe("shared"), "shared");

            trigger(api1, "shared", "for-app-1", "1");
            one.expectEvent("for-app-1");
            assertThat(untilSentinel(two, api2, "shared")).as("app-2 subscriber").isEmpty();

            trigger(api2, "shared", "for-app-2", "2");
            two.expectEvent("for-app-2");
            assertThat(untilSentinel(one, api1, "shared")).as("app-1 subscriber").isEmpty();
        }
    }

    @Test
    void channelListsAndCountsArePerApp() throws Exception {
        try (Raw a = raw(server, "key-1"); Raw b = raw(server, "key-1"); Raw c = raw(server, "key-2")) {
            a.subscribeOk(subscribe("shared"), "shared");
            b.subscribeOk(subscribe("shared"), "shared");
            a.subscribeOk(subscribe("only-one"), "only-one");
            c.subscribeOk(subscribe("shared"), "shared");
            c.subscribeOk(subscribe("only-two"), "only-two");

            assertThat(channelNames(api1)).containsExactlyInAnyOrder("shared", "only-one");
            assertThat(channelNames(api2)).containsExactlyInAnyOrder("shared", "only-two");
            assertThat(subscriptionCount(api1, "shared")).isEqualTo(2);
            assertThat(subscriptionCount(api2, "shared")).isEqualTo(1);
            assertThat(occupied(api2, "only-one")).isFalse();
            assertThat(occupied(api1, "only-two")).isFalse();

            // leaving in app-2 does not touch app-1's channel of the same name
            c.send(Messages.unsubscribe("shared"));
            c.untilPong();
            assertThat(occupied(api2, "shared")).isFalse();
            assertThat(subscriptionCount(api1, "shared")).isEqualTo(2);
            assertThat(channelNames(api2)).containsExactly("only-two");
        }
    }

    @Test
    void presenceMembersArePerApp() throws Exception {
        String channel = "presence-room";
        try (Raw alice = raw(server, "key-1"); Raw bob = raw(server, "key-2"); Raw carol = raw(server, "key-2")) {
            String cdA = "{\"user_id\":\"alice\"}";
            String cdB = "{\"user_id\":\"bob\"}";
            String cdC = "{\"user_id\":\"carol\"}";
            JsonNode a = alice.subscribeOk(subscribePresence("key-1", "secret-1", alice.socketId(), channel, cdA),
                    channel);
            assertThat(a.path("presence").path("count").asInt()).isEqualTo(1);
            alice.untilPong();
            JsonNode b = bob.subscribeOk(subscribePresence("key-2", "secret-2", bob.socketId(), channel, cdB), channel);
            assertThat(b.path("presence").path("ids").toString()).isEqualTo("[\"bob\"]");
            assertThat(b.path("presence").path("count").asInt()).isEqualTo(1);
            bob.untilPong();
            carol.subscribeOk(subscribePresence("key-2", "secret-2", carol.socketId(), channel, cdC),
                    channel);
            carol.untilPong();
            bob.expectEvent("pusher_internal:member_added");

            assertThat(users(api1, channel)).containsExactly("alice");
            assertThat(users(api2, channel)).containsExactlyInAnyOrder("bob", "carol");
            assertThat(userCount(api1, channel)).isEqualTo(1);
            assertThat(userCount(api2, channel)).isEqualTo(2);
            assertThat(untilSentinel(alice, api1, channel)).as("no member events from app-2").isEmpty();

            alice.close();
            assertThat(untilSentinel(bob, api2, channel)).as("no member_removed from app-1").isEmpty();
            assertThat(userCount(api2, channel)).isEqualTo(2);
        }
    }

    @Test
    void clientEventsStayInTheirApp() throws Exception {
        String channel = "private-chat";
        try (Raw sender = raw(server, "key-1"); Raw mate = raw(server, "key-1"); Raw stranger = raw(server, "key-2")) {
            sender.subscribeOk(subscribeSigned("key-1", "secret-1", sender.socketId(), channel), channel);
            mate.subscribeOk(subscribeSigned("key-1", "secret-1", mate.socketId(), channel), channel);
            stranger.subscribeOk(subscribeSigned("key-2", "secret-2", stranger.socketId(), channel),
                    channel);
            sender.send(clientEvent("client-hello", channel, "{}"));
            mate.expectEvent("client-hello");
            assertThat(untilSentinel(stranger, api2, channel)).isEmpty();
        }
    }

    @Test
    void signaturesFromAnotherAppsSecretAreRejected() throws Exception {
        String channel = "private-vault";
        try (Raw c = raw(server, "key-2")) {
            // signed with app-1's secret, whichever key is put in front
            c.send(subscribeSigned("key-2", "secret-1", c.socketId(), channel));
            assertThat(expectSubscribeRejected(c, channel)).startsWith("Invalid signature");
            c.send(subscribeSigned("key-1", "secret-1", c.socketId(), channel));
            assertThat(expectSubscribeRejected(c, channel)).startsWith("Invalid key in subscription auth data");
            String cd = "{\"user_id\":\"u\"}";
            c.send(subscribe("presence-x", channelAuth("key-2", "secret-1", c.socketId(), "presence-x", cd), cd));
            expectSubscribeRejected(c, "presence-x");
            assertThat(occupied(api2, channel)).isFalse();
            assertThat(occupied(api2, "presence-x")).isFalse();
            assertThat(occupied(api1, channel)).isFalse();
            // the right secret works on the same connection
            c.subscribeOk(subscribeSigned("key-2", "secret-2", c.socketId(), channel), channel);
        }
    }

    @Test
    void httpApiCredentialsOfOneAppDoNotOpenAnother() throws Exception {
        try (com.pusher.rest.Pusher wrong = server.httpClient("app-1", "key-2", "secret-2");
                Raw one = raw(server, "key-1")) {
            one.subscribeOk(subscribe("shared"), "shared");
            Result r = wrong.trigger("shared", "intrusion", "x");
            assertThat(r.getHttpStatus()).as(r.getMessage()).isIn(401, 403);
            Result g = wrong.get("/channels");
            assertThat(g.getHttpStatus()).as(g.getMessage()).isIn(401, 403);
            assertThat(untilSentinel(one, api1, "shared")).isEmpty();
        }
    }
}
