package dev.pushserver.channel;

import static dev.pushserver.channel.ChannelTestSupport.FAST_STOP;
import static dev.pushserver.channel.ChannelTestSupport.JSON;
import static dev.pushserver.channel.ChannelTestSupport.awaitConnected;
import static dev.pushserver.channel.ChannelTestSupport.events;
import static dev.pushserver.channel.ChannelTestSupport.expectSubscribeRejected;
import static dev.pushserver.channel.ChannelTestSupport.occupied;
import static dev.pushserver.channel.ChannelTestSupport.quietly;
import static dev.pushserver.channel.ChannelTestSupport.raw;
import static dev.pushserver.channel.ChannelTestSupport.unique;
import static dev.pushserver.channel.ChannelTestSupport.untilSentinel;
import static dev.pushserver.channel.ChannelTestSupport.userCount;
import static dev.pushserver.channel.ChannelTestSupport.users;
import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static dev.pushserver.testing.Messages.unsubscribe;
import static dev.pushserver.testing.Signing.channelAuth;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.channel.PresenceChannel;
import com.pusher.client.channel.User;
import dev.pushserver.channel.ChannelTestSupport.Raw;
import dev.pushserver.testing.ChannelRecorder;
import dev.pushserver.testing.SigningAuthorizer;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Presence channels (reference §2.2, §2.5, §3.1, §6, §4.5): the subscription_succeeded payload, member events
 * per user rather than per connection, channel_data validation, member limits, and the users HTTP API.
 */
class PresenceChannelTest {

    @RegisterExtension
    static final TestServer server = TestServer.perClass(TestServer.DEFAULT_APPS + FAST_STOP);
    private static com.pusher.rest.Pusher api;

    @BeforeAll
    static void connectApi() {
        api = server.httpClient("app-1", "key-1", "secret-1");
    }

    private static String presence() {
        return "presence-" + unique("room");
    }

    /** pusher-js style presence subscribe with correctly signed channel_data. */
    private static String join(Raw c, String channel, String channelData) {
        return subscribePresence("key-1", "secret-1", c.socketId(), channel, channelData);
    }

    /**
     * Joins and waits until the server has completely handled the subscribe (a ping barrier: the member_added
     * fan-out is started after the reply is sent). What arrives before the pong is not checked here: member events
     * published just before the join can reach the joiner (see PresenceConcurrencyTest for those races).
     */
    private static JsonNode joinOk(Raw c, String channel, String channelData) throws Exception {
        JsonNode data = c.subscribeOk(join(c, channel, channelData), channel);
        c.untilPong();
        return data;
    }

    private static List<String> ids(JsonNode succeededData) {
        List<String> out = new ArrayList<>();
        succeededData.path("presence").path("ids").forEach(n -> {
            assertThat(n.isTextual()).as("ids are strings: %s", succeededData).isTrue();
            out.add(n.asText());
        });
        return out;
    }

    /** Parses the JSON-string data of a member event, checking its shape. */
    private static JsonNode memberData(JsonNode message, String event, String channel) throws Exception {
        assertThat(message.path("event").asText()).as("%s", message).isEqualTo(event);
        assertThat(message.path("channel").asText()).isEqualTo(channel);
        assertThat(message.get("data").isTextual()).as("member event data is a JSON string: %s", message).isTrue();
        return JSON.readTree(message.get("data").asText());
    }

    // ---- subscription_succeeded payload and member events --------------------------------------------------------

    @Test
    void subscriptionSucceededCarriesIdsHashAndCount() throws Exception {
        String channel = presence();
        try (Raw a = raw(server, "key-1"); Raw b = raw(server, "key-1")) {
            JsonNode first = joinOk(a, channel, "{\"user_id\":\"alice\",\"user_info\":{\"name\":\"Alice\",\"n\":1}}");
            assertThat(ids(first)).containsExactly("alice");
            assertThat(first.path("presence").path("hash").path("alice"))
                    .isEqualTo(JSON.readTree("{\"name\":\"Alice\",\"n\":1}"));
            assertThat(first.path("presence").path("count").asInt()).isEqualTo(1);

            JsonNode second = joinOk(b, channel, "{\"user_id\":\"bob\"}");
            JsonNode p = second.path("presence");
            assertThat(ids(second)).containsExactlyInAnyOrder("alice", "bob");
            assertThat(p.path("count").isInt()).isTrue();
            assertThat(p.path("count").asInt()).isEqualTo(2);
            assertThat(p.get("hash").isObject()).isTrue();
            assertThat(p.get("hash").size()).isEqualTo(2);
            assertThat(p.get("hash").get("alice")).isEqualTo(JSON.readTree("{\"name\":\"Alice\",\"n\":1}"));
            assertThat(p.get("hash").has("bob")).as("member without user_info is in hash").isTrue();
            assertThat(p.get("hash").get("bob").isNull()).as("...with value null: %s", p).isTrue();
        }
    }

    @Test
    void memberAddedGoesToOthersNotToTheJoiner() throws Exception {
        String channel = presence();
        try (Raw a = raw(server, "key-1"); Raw b = raw(server, "key-1")) {
            joinOk(a, channel, "{\"user_id\":\"alice\"}");
            joinOk(b, channel, "{\"user_id\":\"bob\",\"user_info\":{\"name\":\"Bob\"}}");

            JsonNode added = memberData(a.next(), "pusher_internal:member_added", channel);
            assertThat(added.path("user_id").asText()).isEqualTo("bob");
            assertThat(added.path("user_info")).isEqualTo(JSON.readTree("{\"name\":\"Bob\"}"));
            assertThat(added.size()).as("only user_id and user_info: %s", added).isEqualTo(2);

            assertThat(untilSentinel(b, api, channel)).as("the joiner learns from subscription_succeeded only")
                    .isEmpty();
            assertThat(untilSentinel(a, api, channel)).as("one member_added only").isEmpty();
        }
    }

    @Test
    void secondConnectionOfSameUserIsNotAnnouncedAndOnlyTheLastDepartureIs() throws Exception {
        String channel = presence();
        try (Raw observer = raw(server, "key-1"); Raw u1 = raw(server, "key-1"); Raw u2 = raw(server, "key-1")) {
            joinOk(observer, channel, "{\"user_id\":\"obs\"}");
            joinOk(u1, channel, "{\"user_id\":\"u\",\"user_info\":{\"tab\":1}}");
            observer.expectEvent("pusher_internal:member_added");

            JsonNode second = joinOk(u2, channel, "{\"user_id\":\"u\",\"user_info\":{\"tab\":2}}");
            assertThat(ids(second)).containsExactlyInAnyOrder("obs", "u");
            assertThat(second.path("presence").path("count").asInt()).isEqualTo(2);
            assertThat(untilSentinel(observer, api, channel)).as("no member_added for a second connection").isEmpty();
            assertThat(untilSentinel(u1, api, channel)).as("nor at the user's first connection").isEmpty();
            assertThat(userCount(api, channel)).isEqualTo(2);
            assertThat(users(api, channel)).containsExactlyInAnyOrder("obs", "u");

            // the second connection leaves: the user is still present
            u2.send(unsubscribe(channel));
            assertThat(u2.untilPong()).isEmpty();
            assertThat(untilSentinel(observer, api, channel)).as("no member_removed while u has a connection")
                    .isEmpty();
            assertThat(userCount(api, channel)).isEqualTo(2);

            // the last connection goes away (disconnect): now member_removed
            u1.close();
            JsonNode removed = observer.next();
            // (u1's close is asynchronous: the member_removed is waited for, not raced against a sentinel)
            assertThat(memberData(removed, "pusher_internal:member_removed", channel).path("user_id").asText())
                    .isEqualTo("u");
            assertThat(untilSentinel(observer, api, channel)).isEmpty();
            assertThat(userCount(api, channel)).isEqualTo(1);
            assertThat(users(api, channel)).containsExactly("obs");
        }
    }

    @Test
    void lastConnectionUnsubscribingProducesMemberRemoved() throws Exception {
        String channel = presence();
        try (Raw observer = raw(server, "key-1"); Raw leaver = raw(server, "key-1")) {
            joinOk(observer, channel, "{\"user_id\":\"obs\"}");
            joinOk(leaver, channel, "{\"user_id\":\"leaver\"}");
            observer.expectEvent("pusher_internal:member_added");

            leaver.send(unsubscribe(channel));
            assertThat(leaver.untilPong()).as("no reply to unsubscribe, no own member_removed").isEmpty();
            JsonNode removed = memberData(observer.next(), "pusher_internal:member_removed", channel);
            assertThat(removed.path("user_id").asText()).isEqualTo("leaver");
            assertThat(removed.size()).as("only user_id: %s", removed).isEqualTo(1);
            assertThat(untilSentinel(observer, api, channel)).isEmpty();
            assertThat(userCount(api, channel)).isEqualTo(1);

            observer.send(unsubscribe(channel));
            observer.untilPong();
            assertThat(occupied(api, channel)).isFalse();
            assertThat(userCount(api, channel)).isZero();
            assertThat(users(api, channel)).isEmpty();
        }
    }

    @Test
    void disconnectOfLastConnectionProducesMemberRemoved() throws Exception {
        String channel = presence();
        try (Raw observer = raw(server, "key-1")) {
            joinOk(observer, channel, "{\"user_id\":\"obs\"}");
            Raw gone = raw(server, "key-1");
            try {
                joinOk(gone, channel, "{\"user_id\":\"gone\"}");
                observer.expectEvent("pusher_internal:member_added");
            } finally {
                gone.close();
            }
            JsonNode removed = observer.next();
            assertThat(memberData(removed, "pusher_internal:member_removed", channel).path("user_id").asText())
                    .isEqualTo("gone");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> userCount(api, channel) == 1);
        }
    }

    @Test
    void numericUserIdBecomesAString() throws Exception {
        String channel = presence();
        try (Raw observer = raw(server, "key-1"); Raw ten = raw(server, "key-1")) {
            joinOk(observer, channel, "{\"user_id\":\"obs\"}");
            JsonNode data = joinOk(ten, channel, "{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Channels\"}}");
            assertThat(ids(data)).containsExactlyInAnyOrder("obs", "10");
            assertThat(data.path("presence").path("hash").has("10")).isTrue();

            JsonNode added = memberData(observer.next(), "pusher_internal:member_added", channel);
            assertThat(added.get("user_id").isTextual()).as("user_id is the string \"10\": %s", added).isTrue();
            assertThat(added.get("user_id").asText()).isEqualTo("10");
            assertThat(users(api, channel)).containsExactlyInAnyOrder("obs", "10");

            ten.send(unsubscribe(channel));
            ten.untilPong();
            JsonNode removed = memberData(observer.next(), "pusher_internal:member_removed", channel);
            assertThat(removed.get("user_id").isTextual()).isTrue();
            assertThat(removed.get("user_id").asText()).isEqualTo("10");
        }
    }

    @Test
    void numericAndStringFormsOfAnIdAreTheSameUser() throws Exception {
        String channel = presence();
        try (Raw observer = raw(server, "key-1"); Raw asNumber = raw(server, "key-1");
                Raw asString = raw(server, "key-1")) {
            joinOk(observer, channel, "{\"user_id\":\"obs\"}");
            joinOk(asNumber, channel, "{\"user_id\":10}");
            observer.expectEvent("pusher_internal:member_added");
            JsonNode data = joinOk(asString, channel, "{\"user_id\":\"10\"}");
            assertThat(data.path("presence").path("count").asInt()).isEqualTo(2);
            assertThat(untilSentinel(observer, api, channel)).as("\"10\" is already present as 10").isEmpty();
            assertThat(users(api, channel)).containsExactlyInAnyOrder("obs", "10");
        }
    }

    @Test
    void userIdOf128CharactersIsAccepted() throws Exception {
        String channel = presence();
        String id = "u".repeat(128);
        try (Raw c = raw(server, "key-1")) {
            assertThat(ids(joinOk(c, channel, "{\"user_id\":\"" + id + "\"}"))).containsExactly(id);
        }
    }

    @Test
    void resubscribeToPresenceIsIdempotent() throws Exception {
        String channel = presence();
        try (Raw observer = raw(server, "key-1"); Raw c = raw(server, "key-1")) {
            joinOk(observer, channel, "{\"user_id\":\"obs\"}");
            joinOk(c, channel, "{\"user_id\":\"me\",\"user_info\":{\"a\":1}}");
            observer.expectEvent("pusher_internal:member_added");

            JsonNode again = joinOk(c, channel, "{\"user_id\":\"me\",\"user_info\":{\"a\":1}}");
            assertThat(ids(again)).containsExactlyInAnyOrder("obs", "me");
            assertThat(again.path("presence").path("count").asInt()).isEqualTo(2);
            assertThat(untilSentinel(observer, api, channel)).isEmpty();
            assertThat(userCount(api, channel)).isEqualTo(2);

            // a single unsubscribe takes the (only) subscription away
            c.send(unsubscribe(channel));
            c.untilPong();
            observer.expectEvent("pusher_internal:member_removed");
            assertThat(users(api, channel)).containsExactly("obs");
        }
    }

    // ---- invalid channel_data ---------------------------------------------------------------------------------

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {
        "not json",
        "[1,2]",
        "\"alice\"",
        "42",
        "{}",
        "{\"user_info\":{\"name\":\"x\"}}",
        "{\"user_id\":null}",
        "{\"user_id\":true}",
        "{\"user_id\":1.5}",
        "{\"user_id\":{\"id\":1}}",
        "{\"user_id\":[\"a\"]}",
        "{\"user_id\":\"\"}",
        "{\"user_id\":\"alice\",\"user_info\":\"Alice\"}",
        "{\"user_id\":\"alice\",\"user_info\":[1,2]}",
        "{\"user_id\":\"alice\",\"user_info\":7}",
        "TOO_LONG_ID"})
    void invalidChannelDataIsRejectedAndNothingJoined(String channelData) throws Exception {
        String cd = channelData.equals("TOO_LONG_ID") ? "{\"user_id\":\"" + "x".repeat(129) + "\"}" : channelData;
        String channel = presence();
        try (Raw observer = raw(server, "key-1"); Raw c = raw(server, "key-1")) {
            joinOk(observer, channel, "{\"user_id\":\"obs\"}");
            // correctly signed, so only the content can be the problem
            c.send(join(c, channel, cd));
            expectSubscribeRejected(c, channel);

            assertThat(userCount(api, channel)).isEqualTo(1);
            assertThat(users(api, channel)).containsExactly("obs");
            assertThat(untilSentinel(observer, api, channel)).as("no member_added").isEmpty();
            // the failed connection is not subscribed: it does not get the next sentinel either
            assertThat(c.untilPong()).isEmpty();
        }
    }

    @Test
    void userInfoThatIsNotAnObjectGetsPushersMessage() throws Exception {
        String channel = presence();
        try (Raw c = raw(server, "key-1")) {
            c.send(join(c, channel, "{\"user_id\":\"a\",\"user_info\":\"text\"}"));
            assertThat(expectSubscribeRejected(c, channel)).contains("user_info")
                    .contains("must be a type of hash");
        }
    }

    @Test
    void channelDataSentAsAnObjectIsRejected() throws Exception {
        String channel = presence();
        String cd = "{\"user_id\":\"alice\"}";
        try (Raw c = raw(server, "key-1")) {
            String auth = channelAuth("key-1", "secret-1", c.socketId(), channel, cd);
            c.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" + channel + "\",\"auth\":\"" + auth
                    + "\",\"channel_data\":" + cd + "}}");
            expectSubscribeRejected(c, channel);
            assertThat(occupied(api, channel)).isFalse();
        }
    }

    @Test
    void missingChannelDataIsRejected() throws Exception {
        String channel = presence();
        try (Raw c = raw(server, "key-1")) {
            c.send(subscribeSigned("key-1", "secret-1", c.socketId(), channel));
            expectSubscribeRejected(c, channel);
            assertThat(occupied(api, channel)).isFalse();
        }
    }

    @Test
    void signatureMustCoverTheExactChannelData() throws Exception {
        String channel = presence();
        try (Raw c = raw(server, "key-1")) {
            String signed = "{\"user_id\":\"alice\"}";
            String sent = "{\"user_id\": \"alice\"}"; // same JSON, different bytes
            c.send(subscribe(channel, channelAuth("key-1", "secret-1", c.socketId(), channel, signed), sent));
            assertThat(expectSubscribeRejected(c, channel)).startsWith("Invalid signature");
            // a signature over socket:channel only does not cover channel_data
            c.send(subscribe(channel, channelAuth("key-1", "secret-1", c.socketId(), channel), signed));
            assertThat(expectSubscribeRejected(c, channel)).startsWith("Invalid signature");
            assertThat(occupied(api, channel)).isFalse();
            // the exact bytes as signed, with the whitespace, are fine
            assertThat(ids(joinOk(c, channel, sent))).containsExactly("alice");
        }
    }

    // ---- limits -------------------------------------------------------------------------------------------------

    @Test
    void memberLimitRejectsANewUserButNotMoreConnectionsOfExistingOnes() throws Exception {
        try (TestServer limited = TestServer.start(apps(app(1, "max_presence_members: 2")) + FAST_STOP);
                com.pusher.rest.Pusher http = limited.httpClient("app-1", "key-1", "secret-1");
                Raw u1 = raw(limited, "key-1");
                Raw u2 = raw(limited, "key-1");
                Raw u3 = raw(limited, "key-1");
                Raw u1b = raw(limited, "key-1")) {
            String channel = presence();
            joinOk(u1, channel, "{\"user_id\":\"u1\"}");
            joinOk(u2, channel, "{\"user_id\":\"u2\"}");
            u1.expectEvent("pusher_internal:member_added");

            u3.send(join(u3, channel, "{\"user_id\":\"u3\"}"));
            expectSubscribeRejected(u3, channel);
            assertThat(u3.client().isOpen()).isTrue();
            assertThat(userCount(http, channel)).isEqualTo(2);
            assertThat(users(http, channel)).containsExactlyInAnyOrder("u1", "u2");
            assertThat(untilSentinel(u1, http, channel)).as("no member_added for the refused user").isEmpty();

            // an existing user can open another connection
            JsonNode more = joinOk(u1b, channel, "{\"user_id\":\"u1\"}");
            assertThat(more.path("presence").path("count").asInt()).isEqualTo(2);

            // once a member leaves there is room again
            u2.send(unsubscribe(channel));
            u2.untilPong();
            JsonNode now = joinOk(u3, channel, "{\"user_id\":\"u3\"}");
            assertThat(ids(now)).containsExactlyInAnyOrder("u1", "u3");
            assertThat(userCount(http, channel)).isEqualTo(2);
        }
    }

    @Test
    void memberLimitRejectionOnAnEmptyChannelLeavesNoChannelBehind() throws Exception {
        try (TestServer limited = TestServer.start(apps(app(1, "max_presence_members: 1")) + FAST_STOP);
                com.pusher.rest.Pusher http = limited.httpClient("app-1", "key-1", "secret-1");
                Raw u1 = raw(limited, "key-1");
                Raw u2 = raw(limited, "key-1")) {
            String channel = presence();
            joinOk(u1, channel, "{\"user_id\":\"u1\"}");
            u2.send(join(u2, channel, "{\"user_id\":\"u2\"}"));
            expectSubscribeRejected(u2, channel);
            u1.send(unsubscribe(channel));
            u1.untilPong();
            assertThat(occupied(http, channel)).isFalse();
            assertThat(ChannelTestSupport.httpGet(http, "/channels", java.util.Map.of()).path("channels").size())
                    .isZero();
            // and the channel starts afresh
            joinOk(u2, channel, "{\"user_id\":\"u2\"}");
        }
    }

    @Test
    void memberSizeLimitRejectsLargeUserInfo() throws Exception {
        try (TestServer limited = TestServer.start(apps(app(1, "max_presence_member_size: 32")) + FAST_STOP);
                com.pusher.rest.Pusher http = limited.httpClient("app-1", "key-1", "secret-1");
                Raw c = raw(limited, "key-1")) {
            String channel = presence();
            String fits = "{\"n\":\"" + "a".repeat(24) + "\"}"; // 32 bytes
            String tooBig = "{\"n\":\"" + "a".repeat(25) + "\"}"; // 33 bytes
            c.send(join(c, channel, "{\"user_id\":\"big\",\"user_info\":" + tooBig + "}"));
            expectSubscribeRejected(c, channel);
            assertThat(occupied(http, channel)).isFalse();

            JsonNode ok = joinOk(c, channel, "{\"user_id\":\"small\",\"user_info\":" + fits + "}");
            assertThat(ok.path("presence").path("hash").path("small")).isEqualTo(JSON.readTree(fits));
        }
    }

    // ---- HTTP API ---------------------------------------------------------------------------------------------

    @Test
    void usersAndUserCountFollowJoinsAndLeaves() throws Exception {
        String channel = presence();
        try (Raw a = raw(server, "key-1"); Raw a2 = raw(server, "key-1"); Raw b = raw(server, "key-1");
                Raw c = raw(server, "key-1")) {
            assertThat(userCount(api, channel)).isZero();
            assertThat(users(api, channel)).isEmpty();
            joinOk(a, channel, "{\"user_id\":\"a\"}");
            joinOk(a2, channel, "{\"user_id\":\"a\"}");
            joinOk(b, channel, "{\"user_id\":\"b\"}");
            joinOk(c, channel, "{\"user_id\":\"c\"}");
            assertThat(userCount(api, channel)).isEqualTo(3);
            assertThat(users(api, channel)).containsExactlyInAnyOrder("a", "b", "c");
            JsonNode list = ChannelTestSupport.httpGet(api, "/channels",
                    java.util.Map.of("filter_by_prefix", "presence-", "info", "user_count"));
            assertThat(list.path("channels").path(channel).path("user_count").asInt()).isEqualTo(3);

            a.send(unsubscribe(channel));
            a.untilPong();
            assertThat(users(api, channel)).containsExactlyInAnyOrder("a", "b", "c");
            b.close();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> userCount(api, channel) == 2);
            assertThat(users(api, channel)).containsExactlyInAnyOrder("a", "c");
            a2.close();
            c.send(unsubscribe(channel));
            c.untilPong();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> userCount(api, channel) == 0);
            assertThat(users(api, channel)).isEmpty();
            assertThat(occupied(api, channel)).isFalse();
        }
    }

    // ---- official Java client ---------------------------------------------------------------------------------

    @Test
    void javaClientSeesUsersMeAndMemberEvents() throws Exception {
        String channel = presence();
        Pusher client = server.pusherClient("key-1", new SigningAuthorizer("app-1", "key-1", "secret-1",
                "{\"user_id\":\"java\",\"user_info\":{\"name\":\"Duke\"}}"));
        try (Raw other = raw(server, "key-1")) {
            joinOk(other, channel, "{\"user_id\":\"raw\",\"user_info\":{\"name\":\"Raw\"}}");
            client.connect();
            awaitConnected(client);
            ChannelRecorder rec = new ChannelRecorder();
            PresenceChannel ch = client.subscribePresence(channel, rec);
            Set<User> initial = rec.initial.poll(5, TimeUnit.SECONDS);
            assertThat(initial).as("onUsersInformationReceived").isNotNull();
            assertThat(initial).extracting(User::getId).containsExactlyInAnyOrder("raw", "java");
            assertThat(ch.isSubscribed()).isTrue();
            assertThat(ch.getUsers()).extracting(User::getId).containsExactlyInAnyOrder("raw", "java");
            User me = ch.getMe();
            assertThat(me).as("getMe").isNotNull();
            assertThat(me.getId()).isEqualTo("java");
            assertThat(JSON.readTree(me.getInfo())).isEqualTo(JSON.readTree("{\"name\":\"Duke\"}"));
            User rawUser = ch.getUsers().stream().filter(u -> u.getId().equals("raw")).findFirst().orElseThrow();
            assertThat(JSON.readTree(rawUser.getInfo())).isEqualTo(JSON.readTree("{\"name\":\"Raw\"}"));

            // the raw member sees the Java client join
            JsonNode added = memberData(other.next(), "pusher_internal:member_added", channel);
            assertThat(added.path("user_id").asText()).isEqualTo("java");
            assertThat(added.path("user_info")).isEqualTo(JSON.readTree("{\"name\":\"Duke\"}"));

            // a third member comes and goes
            try (Raw third = raw(server, "key-1")) {
                joinOk(third, channel, "{\"user_id\":\"third\"}");
                User t = rec.added.poll(5, TimeUnit.SECONDS);
                assertThat(t).isNotNull();
                assertThat(t.getId()).isEqualTo("third");
                assertThat(t.getInfo()).isNull();
                Awaitility.await().atMost(Duration.ofSeconds(5))
                        .until(() -> ch.getUsers().stream().anyMatch(u -> u.getId().equals("third")));
            }
            User gone = rec.removed.poll(5, TimeUnit.SECONDS);
            assertThat(gone).isNotNull();
            assertThat(gone.getId()).isEqualTo("third");
            assertThat(ch.getUsers()).extracting(User::getId).containsExactlyInAnyOrder("raw", "java");
            assertThat(rec.added).as("no duplicate member_added").isEmpty();
            assertThat(rec.problems).isEmpty();
            assertThat(userCount(api, channel)).isEqualTo(2);

            // the Java client leaves: the raw member sees member_removed
            other.expectEvent("pusher_internal:member_added");
            other.expectEvent("pusher_internal:member_removed");
            client.unsubscribe(channel);
            JsonNode removed = other.next();
            assertThat(memberData(removed, "pusher_internal:member_removed", channel).path("user_id").asText())
                    .isEqualTo("java");
        } finally {
            quietly(client);
        }
    }

    @Test
    void javaClientWithNumericUserIdFindsItself() throws Exception {
        String channel = presence();
        Pusher client = server.pusherClient("key-1", new SigningAuthorizer("app-1", "key-1", "secret-1",
                "{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Channels\"}}"));
        try {
            client.connect();
            awaitConnected(client);
            ChannelRecorder rec = new ChannelRecorder();
            PresenceChannel ch = client.subscribePresence(channel, rec);
            assertThat(rec.initial.poll(5, TimeUnit.SECONDS)).extracting(User::getId).containsExactly("10");
            assertThat(ch.getMe()).as("getMe with numeric id").isNotNull();
            assertThat(ch.getMe().getId()).isEqualTo("10");
            assertThat(users(api, channel)).containsExactly("10");
        } finally {
            quietly(client);
        }
    }
}
