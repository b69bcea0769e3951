package dev.pushserver.core;

import static dev.pushserver.core.CoreHarness.Client.data;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.api.ApiResponse;
import dev.pushserver.core.CoreHarness.Client;
import dev.pushserver.testing.DeferredStore.Mode;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.EventType;
import dev.pushserver.testing.Messages;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The core with a store that answers later, as a shared store (Redis) does: a connection's requests keep their
 * order behind a pending one, replies go out on the connection's own loop, messages published while a subscription
 * is pending are held and then delivered or dropped by the version of its join, and a connection that goes while
 * its subscribe is pending leaves no ghost behind.
 */
class AsyncStoreTest {

    private final CoreHarness h = new CoreHarness();

    @AfterEach
    void noLeaks() {
        h.store.mode(Mode.PASS);
        h.store.releaseAll();
        h.runAll();
        assertThat(h.liveFrames()).as("frames still referenced").isEmpty();
        h.close();
    }

    private void release() {
        assertThat(h.store.releaseNext()).as("a store call was waiting").isTrue();
        h.runAll();
    }

    private static List<String> eventNames(List<JsonNode> messages) {
        return messages.stream().map(m -> m.path("event").asText()).toList();
    }

    @Test
    void requestsSentWhileASubscribeWaitsForTheStoreAreHandledAfterItInOrder() {
        Client b = h.connect(1);
        b.subscribe("private-chat");
        b.skipAll();
        Client a = h.connect(0);
        h.store.mode(Mode.DECIDE_LATER);
        a.queue(Messages.subscribeSigned("key-1", "secret-1", a.socketId(), "private-chat"));
        a.queue(Messages.clientEvent("client-typing", "private-chat", "{\"n\":1}"));
        a.queue(Messages.unsubscribe("private-chat"));
        a.queue(Messages.PING);
        h.runAll();
        assertThat(a.unread()).as("everything waits for the subscribe's answer").isEmpty();
        assertThat(h.store.held()).isEqualTo(1);

        release(); // the join: subscription_succeeded, the client event (now allowed), then the unsubscribe waits
        assertThat(eventNames(a.unread())).containsExactly("pusher_internal:subscription_succeeded");
        assertThat(eventNames(b.unread())).containsExactly("client-typing");
        release(); // the leave: then the ping
        assertThat(eventNames(a.unread())).containsExactly("pusher_internal:subscription_succeeded",
                "pusher:pong");
        assertThat(h.events(EventType.SUBSCRIPTION_COUNT)).extracting(
                e -> ((ChannelEvent.SubscriptionCountChanged) e).count()).containsExactly(1, 2, 1);
    }

    @Test
    void messagesPublishedWhileTheJoinAnswerIsOnItsWayAreDeliveredAfterSubscriptionSucceeded() {
        Client c = h.connect(1);
        c.join("presence-p", "c", null);
        c.skipAll();
        Client b = h.connect(1);
        h.store.mode(Mode.ANSWER_LATER);
        b.join("presence-p", "b", null); // decided now (roster c, b); the answer is held
        h.store.mode(Mode.PASS);
        Client a = h.connect(0);
        a.join("presence-p", "a", null); // decided after b's: b must be told about a
        assertThat(h.api("POST", "/events", "{\"name\":\"news\",\"channel\":\"presence-p\",\"data\":\"x\"}").status())
                .isEqualTo(200);
        assertThat(b.unread()).as("b's subscribe is still pending").isEmpty();

        release();
        JsonNode succeeded = b.expect("pusher_internal:subscription_succeeded", "presence-p");
        assertThat(data(succeeded).get("presence").get("ids")).extracting(JsonNode::asText)
                .containsExactly("c", "b");
        assertThat(data(b.expect("pusher_internal:member_added")).get("user_id").asText()).isEqualTo("a");
        assertThat(b.expect("news", "presence-p").get("data").asText()).isEqualTo("x");
        assertThat(b.unread()).isEmpty();
    }

    @Test
    void aMemberAddedPublishedBeforeAPendingJoinIsDecidedIsDroppedForItBecauseItsRosterHasTheMember() {
        Client c = h.connect(1);
        c.join("presence-q", "c", null);
        c.skipAll();
        Client b = h.connect(1);
        h.store.mode(Mode.DECIDE_LATER);
        b.join("presence-q", "b", null); // registered for the channel's messages, not decided yet
        h.store.mode(Mode.PASS);
        Client a = h.connect(0);
        a.join("presence-q", "a", null); // its member_added is held for b meanwhile

        release(); // b is decided after a: its roster has a
        JsonNode succeeded = b.expect("pusher_internal:subscription_succeeded", "presence-q");
        assertThat(data(succeeded).get("presence").get("ids")).extracting(JsonNode::asText)
                .containsExactly("c", "a", "b");
        assertThat(b.unread()).as("no member_added for a member of its own roster").isEmpty();
        assertThat(c.unread("pusher_internal:member_added")).extracting(m -> data(m).get("user_id").asText())
                .containsExactly("a", "b");
    }

    @Test
    void aConnectionThatGoesWhileItsSubscribeIsPendingLeavesOnceTheAnswerIsThere() {
        Client observer = h.connect(0);
        observer.join("presence-g", "o", null);
        observer.skipAll();
        Client ghost = h.connect(1);
        h.store.mode(Mode.DECIDE_LATER);
        ghost.join("presence-g", "g", null);
        ghost.disconnect();
        assertThat(h.core.connections().count()).as("still being cleaned up").isEqualTo(2);

        release(); // the join lands; the clean-up runs after it and waits for its leave
        release(); // the leave
        assertThat(h.events.stream().filter(e -> "g".equals(e.userId())).map(ChannelEvent::type).toList())
                .containsExactly(EventType.MEMBER_ADDED, EventType.MEMBER_REMOVED);
        assertThat(eventNames(observer.unread())).containsExactly("pusher_internal:member_added",
                "pusher_internal:member_removed");
        assertThat(h.core.connections().count()).isEqualTo(1);
        h.store.mode(Mode.PASS);
        assertThat(CoreHarness.json(h.api("GET", "/channels/presence-g/users", null).body()).toString())
                .isEqualTo("{\"users\":[{\"id\":\"o\"}]}");
    }

    @Test
    void aStoreFailureRefusesTheSubscribeAndLeavesNothingBehind() {
        Client a = h.connect(0);
        h.store.mode(Mode.DECIDE_LATER);
        h.store.failNext(new IllegalStateException("store unreachable"));
        a.subscribe("news");
        release();
        assertThat(a.expect("pusher:error").path("data").path("message").asText()).contains("try again");
        assertThat(data(a.expect("pusher:subscription_error", "news")).path("status").asInt()).isEqualTo(503);

        h.store.mode(Mode.PASS);
        h.api("POST", "/events", "{\"name\":\"e\",\"channel\":\"news\",\"data\":\"x\"}");
        assertThat(a.unread()).as("not registered for the channel").isEmpty();
        a.subscribe("news");
        a.expect("pusher_internal:subscription_succeeded", "news");
    }

    /** Whoever a client tells after its signin_success must already find it online (WatchlistTest raced on this). */
    @Test
    void signinSuccessIsSentOnlyOnceTheStoreHasTheUserOnline() {
        Client b = h.connect(0);
        h.store.mode(Mode.DECIDE_LATER);
        b.signin("{\"id\":\"B\"}");
        assertThat(b.unread()).as("not told before the store has it").isEmpty();
        release();
        b.expect("pusher:signin_success");
        h.store.mode(Mode.PASS);
        assertThat(h.core.store().online(h.app("app-1"), List.of("B")).toCompletableFuture().join())
                .containsExactly("B");
        h.api("POST", "/events", "{\"name\":\"hi\",\"channel\":\"#server-to-user-B\",\"data\":\"x\"}");
        assertThat(b.expect("hi", "#server-to-user-B").get("data").asText()).isEqualTo("x");
    }

    @Test
    void apiAnswersWaitForTheStore() {
        Client a = h.connect(0);
        a.subscribe("news");
        h.store.mode(Mode.ANSWER_LATER);
        CompletableFuture<ApiResponse> answer = h.core.api().handle(CoreHarness.signed("app-1", "key-1", "secret-1",
                "GET", "/channels/news", Map.of("info", "subscription_count"), null)).toCompletableFuture();
        h.runAll();
        assertThat(answer).isNotDone();
        release();
        assertThat(answer).isDone();
        assertThat(CoreHarness.json(answer.join().body()).toString())
                .isEqualTo("{\"occupied\":true,\"subscription_count\":1}");
    }
}
