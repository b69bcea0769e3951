package dev.pushserver.core;

import static dev.pushserver.core.CoreHarness.Client.data;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.api.ApiResponse;
import dev.pushserver.core.CoreHarness.Client;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEvent.ClientEventSent;
import dev.pushserver.event.ChannelEvent.MemberAdded;
import dev.pushserver.event.EventType;
import dev.pushserver.testing.Messages;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The channel rules on fake sessions and manual loops: subscribe, unsubscribe, presence first and last connection of
 * a user, the member limit, client events. Deterministic and without sockets; each test also checks that every frame
 * fan-out made was released.
 */
class ChannelRulesTest {

    private CoreHarness h = new CoreHarness();

    @AfterEach
    void noLeaks() {
        h.runAll();
        assertThat(h.liveFrames()).as("frames still referenced").isEmpty();
        h.close();
    }

    private static List<EventType> types(List<ChannelEvent> events, EventType... only) {
        List<EventType> wanted = List.of(only);
        return events.stream().map(ChannelEvent::type).filter(wanted::contains).toList();
    }

    @Test
    void publicChannelIsOccupiedOnceAndVacatedOnceWhateverTheSubscribersDo() {
        Client a = h.connect(0);
        Client b = h.connect(1);
        a.subscribe("news");
        assertThat(a.expect("pusher_internal:subscription_succeeded", "news").get("data").asText()).isEqualTo("{}");
        a.subscribe("news");
        a.expect("pusher_internal:subscription_succeeded", "news"); // confirmed again, not counted twice
        b.subscribe("news");
        b.expect("pusher_internal:subscription_succeeded", "news");
        assertThat(h.core.store().channel(h.app("app-1"), "news").toCompletableFuture().join().subscriptionCount())
                .isEqualTo(2);

        a.send(Messages.unsubscribe("news"));
        a.send(Messages.unsubscribe("news")); // not subscribed any more: ignored
        assertThat(a.unread()).isEmpty();
        assertThat(types(h.events, EventType.CHANNEL_OCCUPIED, EventType.CHANNEL_VACATED))
                .containsExactly(EventType.CHANNEL_OCCUPIED);
        b.disconnect();
        assertThat(types(h.events, EventType.CHANNEL_OCCUPIED, EventType.CHANNEL_VACATED))
                .containsExactly(EventType.CHANNEL_OCCUPIED, EventType.CHANNEL_VACATED);
        ChannelEvent occupied = h.events(EventType.CHANNEL_OCCUPIED).get(0);
        ChannelEvent vacated = h.events(EventType.CHANNEL_VACATED).get(0);
        assertThat(occupied.channel()).isEqualTo("news");
        assertThat(occupied.socketId()).isEqualTo(a.socketId());
        assertThat(vacated.socketId()).isEqualTo(b.socketId());
        assertThat(vacated.seq()).isGreaterThan(occupied.seq());
        assertThat(CoreHarness.json(h.api("GET", "/channels/news", null).body()).get("occupied").asBoolean())
                .isFalse();
    }

    @Test
    void subscriptionCountChangesAreEmittedInOrder() {
        Client a = h.connect(0);
        Client b = h.connect(1);
        a.subscribe("news");
        b.subscribe("news");
        a.disconnect();
        b.send(Messages.unsubscribe("news"));
        assertThat(h.events(EventType.SUBSCRIPTION_COUNT)).extracting(
                e -> ((ChannelEvent.SubscriptionCountChanged) e).count()).containsExactly(1, 2, 1, 0);
    }

    @Test
    void privateChannelWithABadSignatureIsRefusedAndChangesNothing() {
        Client a = h.connect(0);
        a.send(Messages.subscribe("private-x", "key-1:" + "0".repeat(64)));
        JsonNode error = a.expect("pusher:error");
        assertThat(error.path("data").path("code").isNull()).isTrue();
        assertThat(error.path("data").path("message").asText()).startsWith("Invalid signature");
        assertThat(data(a.expect("pusher:subscription_error", "private-x")).path("status").asInt()).isEqualTo(401);
        assertThat(h.events).isEmpty();
        a.send(Messages.clientEvent("client-x", "private-x", "{}"));
        assertThat(a.expect("pusher:error").path("data").path("message").asText()).contains("not subscribed");
    }

    @Test
    void aUserWithThreeTabsIsAddedOnceAndRemovedOnceWhenTheLastTabGoes() {
        Client observer = h.connect(0);
        observer.join("presence-room", "obs", null);
        observer.skipAll();
        Client tab1 = h.connect(0);
        Client tab2 = h.connect(1);
        Client tab3 = h.connect(1);
        tab1.join("presence-room", "u1", "{\"name\":\"Ann\"}");
        tab2.join("presence-room", "u1", "{\"name\":\"Ann\"}");
        tab3.join("presence-room", "u1", "{\"name\":\"Ann\"}");

        JsonNode roster = data(tab3.expect("pusher_internal:subscription_succeeded", "presence-room"))
                .get("presence");
        assertThat(roster.get("count").asInt()).isEqualTo(2);
        assertThat(roster.get("ids")).extracting(JsonNode::asText).containsExactly("obs", "u1");
        assertThat(roster.get("hash").get("u1").get("name").asText()).isEqualTo("Ann");
        assertThat(roster.get("hash").get("obs").isNull()).isTrue();

        List<JsonNode> added = observer.unread("pusher_internal:member_added");
        assertThat(added).hasSize(1);
        assertThat(data(added.get(0)).get("user_id").asText()).isEqualTo("u1");
        assertThat(data(added.get(0)).get("user_info").get("name").asText()).isEqualTo("Ann");
        for (Client tab : List.of(tab1, tab2, tab3)) {
            assertThat(tab.unread("pusher_internal:member_added")).as("no member_added about itself").isEmpty();
        }
        assertThat(h.events(EventType.MEMBER_ADDED)).extracting(ChannelEvent::userId).containsExactly("obs", "u1");
        observer.skipAll();

        tab1.disconnect();
        tab2.send(Messages.unsubscribe("presence-room"));
        assertThat(observer.unread("pusher_internal:member_removed")).as("u1 still has a tab open").isEmpty();
        assertThat(h.events(EventType.MEMBER_REMOVED)).isEmpty();
        tab3.disconnect();
        List<JsonNode> removed = observer.unread("pusher_internal:member_removed");
        assertThat(removed).hasSize(1);
        assertThat(data(removed.get(0)).get("user_id").asText()).isEqualTo("u1");
        assertThat(h.events(EventType.MEMBER_REMOVED)).extracting(ChannelEvent::userId).containsExactly("u1");
        assertThat(h.events(EventType.MEMBER_REMOVED).get(0).seq())
                .isGreaterThan(h.events(EventType.MEMBER_ADDED).get(1).seq());
        assertThat(CoreHarness.json(h.api("GET", "/channels/presence-room/users", null).body()).toString())
                .isEqualTo("{\"users\":[{\"id\":\"obs\"}]}");
    }

    /**
     * b's join is decided on loop 1 after a's, while a's member_added is still queued for loop 1: b's roster has a
     * already, so the queued member_added must not reach b (that was the probabilistic race test's subject).
     */
    @Test
    void aMemberAddedQueuedBeforeAJoinIsNotDeliveredToTheJoinerWhoseRosterHasTheMember() {
        Client c = h.connect(1);
        c.join("presence-v", "c", null);
        c.skipAll();
        Client a = h.connect(0);
        Client b = h.connect(1);
        b.queue(b.joinMessage("presence-v", "b", null));
        a.queue(a.joinMessage("presence-v", "a", null));
        h.loops.get(0).runPending(); // a joins; its member_added is queued on loop 1 behind b's subscribe
        h.loops.get(1).runPending(); // b joins (roster: c, a, b), then the member_added for a runs
        h.runAll();

        MemberAdded addedA = (MemberAdded) h.events(EventType.MEMBER_ADDED).get(1);
        MemberAdded addedB = (MemberAdded) h.events(EventType.MEMBER_ADDED).get(2);
        assertThat(addedB.version()).isGreaterThan(addedA.version());
        assertThat(data(b.expect("pusher_internal:subscription_succeeded")).get("presence").get("ids"))
                .extracting(JsonNode::asText).containsExactly("c", "a", "b");
        assertThat(b.unread()).as("a is in b's roster: no member_added for a").isEmpty();
        a.expect("pusher_internal:subscription_succeeded");
        assertThat(data(a.expect("pusher_internal:member_added")).get("user_id").asText()).isEqualTo("b");
        assertThat(a.unread()).isEmpty();
        assertThat(c.unread("pusher_internal:member_added")).extracting(m -> data(m).get("user_id").asText())
                .containsExactly("a", "b");
    }

    /** The same for a leave: b joined after x left, so x is not in b's roster and x's member_removed is not for b. */
    @Test
    void aMemberRemovedQueuedBeforeAJoinIsNotDeliveredToTheJoinerWhoNeverSawTheMember() {
        Client c = h.connect(1);
        c.join("presence-w", "c", null);
        Client x = h.connect(0);
        x.join("presence-w", "x", null);
        c.skipAll();
        Client b = h.connect(1);
        b.queue(b.joinMessage("presence-w", "b", null));
        x.queue(Messages.unsubscribe("presence-w"));
        h.loops.get(0).runPending(); // x leaves; its member_removed is queued on loop 1 behind b's subscribe
        h.loops.get(1).runPending();
        h.runAll();

        assertThat(data(b.expect("pusher_internal:subscription_succeeded")).get("presence").get("ids"))
                .extracting(JsonNode::asText).containsExactly("c", "b");
        assertThat(b.unread()).as("x was gone before b joined: no member_removed for b").isEmpty();
        assertThat(c.unread()).extracting(m -> m.get("event").asText() + " " + data(m).get("user_id").asText())
                .containsExactly("pusher_internal:member_removed x", "pusher_internal:member_added b");
    }

    @Test
    void aFullPresenceChannelRefusesNewUsersButNotMoreTabsOfAMember() {
        h.close();
        h = new CoreHarness(CoreHarness.DEFAULT_APPS.replace("enable_client_messages: true",
                "enable_client_messages: true\n    max_presence_members: 2"), 2);
        Client a = h.connect(0);
        Client b = h.connect(1);
        Client c = h.connect(0);
        Client a2 = h.connect(1);
        a.join("presence-full", "u1", null);
        b.join("presence-full", "u2", null);
        c.join("presence-full", "u3", null);
        JsonNode error = c.expect("pusher:error");
        assertThat(error.path("data").path("message").asText()).contains("full").contains("2");
        assertThat(data(c.expect("pusher:subscription_error", "presence-full")).path("status").asInt())
                .isEqualTo(403);
        a2.join("presence-full", "u1", null);
        a2.expect("pusher_internal:subscription_succeeded", "presence-full");
        assertThat(h.events(EventType.MEMBER_ADDED)).extracting(ChannelEvent::userId).containsExactly("u1", "u2");
        ApiResponse users = h.api("GET", "/channels/presence-full/users", null);
        assertThat(CoreHarness.json(users.body()).toString()).isEqualTo("{\"users\":[{\"id\":\"u1\"},{\"id\":\"u2\"}]}");
        c.send(Messages.clientEvent("client-x", "presence-full", "{}"));
        assertThat(c.expect("pusher:error").path("data").path("message").asText()).contains("not subscribed");
    }

    @Test
    void clientEventsFollowTheRules() {
        Client a = h.connect(0);
        Client b = h.connect(1);
        a.subscribe("private-chat");
        b.subscribe("private-chat");
        a.subscribe("news");
        a.skipAll();
        b.skipAll();

        a.send(Messages.clientEvent("client-typing", "private-chat", "{\"x\":1}"));
        assertThat(a.unread()).as("never echoed to the sender").isEmpty();
        JsonNode relayed = b.next();
        assertThat(relayed.toString()).isEqualTo(
                "{\"event\":\"client-typing\",\"channel\":\"private-chat\",\"data\":{\"x\":1}}");
        ClientEventSent sent = (ClientEventSent) h.events(EventType.CLIENT_EVENT).get(0);
        assertThat(sent.data()).isEqualTo("{\"x\":1}");
        assertThat(sent.socketId()).isEqualTo(a.socketId());
        assertThat(sent.userId()).isNull();

        a.send(Messages.clientEvent("client-x", "news", "{}"));
        assertThat(a.expect("pusher:error").path("data").path("message").asText())
                .contains("only supported on private and presence");
        a.send(Messages.clientEvent("client-x", "private-other", "{}"));
        assertThat(a.expect("pusher:error").path("data").path("message").asText()).contains("not subscribed");
        a.send(Messages.clientEvent("client-x", "private-chat", "\"" + "x".repeat(10_241) + "\""));
        assertThat(a.expect("pusher:error").path("data").path("message").asText()).contains("too large");
        a.send(Messages.clientEvent("client-" + "x".repeat(200), "private-chat", "{}"));
        assertThat(a.expect("pusher:error").path("data").path("message").asText()).contains("too long");
        assertThat(b.unread()).as("nothing of the rejected ones reached b").isEmpty();
        assertThat(h.events(EventType.CLIENT_EVENT)).hasSize(1);
    }

    @Test
    void clientEventsAreRateLimitedPerConnection() {
        Client a = h.connect(0);
        Client b = h.connect(1);
        a.subscribe("private-fast");
        b.subscribe("private-fast");
        a.skipAll();
        b.skipAll();
        // 6 events already spent above? no: the window counts client events only
        for (int i = 0; i < 11; i++) {
            a.queue(Messages.clientEvent("client-n", "private-fast", "{\"i\":" + i + "}"));
        }
        h.runAll();
        assertThat(b.unread()).hasSize(10);
        JsonNode error = a.expect("pusher:error");
        assertThat(error.path("data").path("code").asInt()).isEqualTo(4301);
        assertThat(a.session.isOpen()).as("the connection stays open").isTrue();
    }

    @Test
    void clientEventsOnPresenceCarryTheSendersUserIdAndAreRefusedWhereDisabled() {
        Client a = h.connect(0);
        Client b = h.connect(1);
        a.join("presence-p", "ann", null);
        b.join("presence-p", "bob", null);
        a.skipAll();
        b.skipAll();
        b.send(Messages.clientEventWithStringData("client-hi", "presence-p", "hello"));
        JsonNode got = a.next();
        assertThat(got.get("user_id").asText()).isEqualTo("bob");
        assertThat(got.get("data").asText()).isEqualTo("hello");
        assertThat(h.events(EventType.CLIENT_EVENT).get(0).userId()).isEqualTo("bob");

        Client other = h.connect("key-2", 0);
        other.subscribe("private-y");
        other.skipAll();
        other.send(Messages.clientEvent("client-x", "private-y", "{}"));
        assertThat(other.expect("pusher:error").path("data").path("message").asText()).contains("not enabled");
    }

    @Test
    void cacheChannelsReplayTheLastApiEventOrSayCacheMiss() {
        ApiResponse r = h.api("POST", "/events", "{\"name\":\"price\",\"channel\":\"cache-btc\",\"data\":\"42\"}");
        assertThat(r.status()).isEqualTo(200);
        Client a = h.connect(0);
        a.subscribe("cache-btc");
        a.expect("pusher_internal:subscription_succeeded", "cache-btc");
        JsonNode replay = a.expect("price", "cache-btc");
        assertThat(replay.get("data").asText()).isEqualTo("42");
        a.subscribe("cache-eth");
        a.expect("pusher_internal:subscription_succeeded", "cache-eth");
        a.expect("pusher:cache_miss", "cache-eth");
        assertThat(h.events(EventType.CACHE_MISS)).extracting(ChannelEvent::channel).containsExactly("cache-eth");
        assertThat(h.events(EventType.SERVER_EVENT)).extracting(ChannelEvent::channel).containsExactly("cache-btc");
    }

    @Test
    void presenceChannelsAnswerSubscriptionCountAndUserCountTogether() {
        Client a = h.connect(0);
        Client a2 = h.connect(1);
        Client b = h.connect(1);
        a.join("presence-c", "a", null);
        a2.join("presence-c", "a", null);
        b.join("presence-c", "b", null);
        ApiResponse r = h.api("app-1", "key-1", "secret-1", "GET", "/channels/presence-c",
                Map.of("info", "subscription_count,user_count"), null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(CoreHarness.json(r.body()).toString())
                .isEqualTo("{\"occupied\":true,\"user_count\":2,\"subscription_count\":3}");
    }
}
