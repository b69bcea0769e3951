package dev.pushserver.cluster;

import static dev.pushserver.cluster.ClusterSupport.JSON;
import static dev.pushserver.cluster.ClusterSupport.eventNames;
import static dev.pushserver.cluster.ClusterSupport.unique;
import static dev.pushserver.cluster.ClusterSupport.untilSentinels;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.channel.PusherEvent;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.cluster.ClusterSupport.JavaMember;
import dev.pushserver.cluster.ClusterSupport.Raw;
import dev.pushserver.testing.ChannelRecorder;
import dev.pushserver.testing.ClusterNodes;
import dev.pushserver.testing.ClusterNodes.Node;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RedisProcess;
import dev.pushserver.testing.SigningAuthorizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode, events: two server processes (nodes A and B) on one Redis behave as one server. An HTTP API trigger
 * on A reaches subscribers on B exactly once; a client event sent on A reaches B's subscribers exactly once and not
 * its sender; a trigger's socket_id exclusion works when the excluded socket is on the other node.
 */
class ClusterEventsTest {

    @TempDir
    static Path dir;
    private static RedisProcess redis;
    private static ClusterNodes cluster;
    private static Node a;
    private static Node b;

    @BeforeAll
    static void startCluster() throws Exception {
        redis = RedisProcess.start();
        cluster = ClusterNodes.builder(dir, redis).nodes(2).start();
        a = cluster.node(0);
        b = cluster.node(1);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static List<Integer> sequence(List<JsonNode> messages, String event) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (JsonNode m : messages) {
            if (event.equals(m.path("event").asText())) {
                out.add(JSON.readTree(m.path("data").asText()).path("n").asInt());
            }
        }
        return out;
    }

    /** Collects messages of {@code event} until {@code n} arrived (or 10 s passed). */
    private static List<JsonNode> collect(Raw c, String event, int n) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 10_000;
        while (out.size() < n) {
            long left = deadline - System.currentTimeMillis();
            JsonNode m = left <= 0 ? null : c.next(left);
            if (m == null) {
                break;
            }
            if (event.equals(m.path("event").asText())) {
                out.add(m);
            }
        }
        return out;
    }

    @Test
    void httpTriggerOnOneNodeReachesSubscribersOnTheOtherExactlyOnceAndInOrder() throws Exception {
        String channel = unique("news");
        String other = unique("sport");
        int n = 20;
        try (Raw onA = Raw.connect(a); Raw onB = Raw.connect(b); Raw onBoth = Raw.connect(b)) {
            onA.subscribe(channel);
            onB.subscribe(channel);
            onBoth.subscribe(channel);
            onBoth.subscribe(other);
            Pusher official = b.javaClient(null);
            ChannelRecorder rec = new ChannelRecorder();
            official.connect();
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> official.getConnection().getState() == ConnectionState.CONNECTED);
            official.subscribe(channel, rec, "ev");
            assertThat(rec.subscriptions.poll(10, TimeUnit.SECONDS)).isEqualTo(channel);

            for (int i = 0; i < n; i++) {
                a.trigger(channel, "ev", Map.of("n", i));
            }
            // one trigger on two channels: a subscriber of both gets it once per channel
            a.trigger(List.of(channel, other), "multi", Map.of("n", 99), null);

            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                expected.add(i);
            }
            Map<Raw, List<JsonNode>> got = untilSentinels(channel, List.of(a, b), onA, onB);
            for (Raw c : List.of(onA, onB)) {
                assertThat(sequence(got.get(c), "ev")).as("events at %s (trigger on %s)", c, a.id())
                        .isEqualTo(expected);
                assertThat(eventNames(got.get(c))).as("everything at %s", c).containsOnly("ev", "multi");
                assertThat(sequence(got.get(c), "multi")).as("multi at %s", c).containsExactly(99);
                for (JsonNode m : got.get(c)) {
                    assertThat(m.path("channel").asText()).isEqualTo(channel);
                }
            }
            List<JsonNode> both = new ArrayList<>(untilSentinels(channel, List.of(a, b), onBoth).get(onBoth));
            both.addAll(untilSentinels(other, List.of(a, b), onBoth).get(onBoth));
            assertThat(sequence(both, "ev")).as("ev at the subscriber of both channels").isEqualTo(expected);
            assertThat(both.stream().filter(m -> m.path("event").asText().equals("multi"))
                    .map(m -> m.path("channel").asText()).toList())
                    .as("multi at the subscriber of both channels: once per channel")
                    .containsExactlyInAnyOrder(channel, other);

            // the official client on B
            List<Integer> javaGot = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
                PusherEvent e;
                while ((e = rec.events.poll()) != null) {
                    javaGot.add(JSON.readTree(e.getData()).path("n").asInt());
                }
                return javaGot.size() >= n;
            });
            Thread.sleep(300); // a duplicate would be right behind
            PusherEvent e;
            while ((e = rec.events.poll()) != null) {
                javaGot.add(JSON.readTree(e.getData()).path("n").asInt());
            }
            assertThat(javaGot).as("pusher-java-client on %s", b.id()).isEqualTo(expected);
        }
    }

    @Test
    void clientEventOnOneNodeReachesTheOtherNodesSubscribersOnceAndNotTheSender() throws Exception {
        String channel = "private-" + unique("chat");
        try (Raw sender = Raw.connect(a); Raw sameNode = Raw.connect(a); Raw r1 = Raw.connect(b);
                Raw r2 = Raw.connect(b)) {
            for (Raw c : List.of(sender, sameNode, r1, r2)) {
                c.subscribePrivate(channel);
            }
            int n = 10;
            for (int i = 0; i < n; i++) {
                sender.send(Messages.clientEvent("client-typing", channel, "{\"n\":" + i + "}"));
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                expected.add(i);
            }
            for (Raw c : List.of(sameNode, r1, r2)) {
                List<JsonNode> ev = collect(c, "client-typing", n);
                List<Integer> seq = new ArrayList<>();
                for (JsonNode m : ev) {
                    seq.add(m.path("data").path("n").asInt(-1));
                    assertThat(m.path("channel").asText()).isEqualTo(channel);
                }
                assertThat(seq).as("client events at %s, sent by %s", c, sender).isEqualTo(expected);
            }
            Map<Raw, List<JsonNode>> after = untilSentinels(channel, List.of(a, b), sender, sameNode, r1, r2);
            assertThat(after.get(sender)).as("the sender gets nothing back").isEmpty();
            for (Raw c : List.of(sameNode, r1, r2)) {
                assertThat(after.get(c)).as("no duplicates at %s", c).isEmpty();
            }
        }
    }

    @Test
    void clientEventOnPresenceChannelReachesOfficialClientOnOtherNodeWithUserId() throws Exception {
        String channel = "presence-" + unique("room");
        try (Raw alice = Raw.connect(a)) {
            alice.join(channel, "alice", "{\"n\":1}");
            JavaMember java = JavaMember.join(b, channel, "duke", null, "client-wave", "sentinel");
            assertThat(java.initialIds()).containsExactlyInAnyOrder("alice", "duke");
            alice.await("pusher_internal:member_added", channel, 10);

            alice.send(Messages.clientEvent("client-wave", channel, "{\"hand\":\"left\"}"));
            PusherEvent e = java.rec.events.poll(10, TimeUnit.SECONDS);
            assertThat(e).as("client event from %s at the official client on %s", a.id(), b.id()).isNotNull();
            assertThat(e.getEventName()).isEqualTo("client-wave");
            assertThat(e.getUserId()).isEqualTo("alice");
            assertThat(JSON.readTree(e.getData())).isEqualTo(JSON.readTree("{\"hand\":\"left\"}"));

            java.presence.trigger("client-wave", "back");
            JsonNode m = alice.await("client-wave", channel, 10);
            assertThat(m.path("user_id").asText()).isEqualTo("duke");
            assertThat(m.path("data").asText()).isEqualTo("back");

            List<PusherEvent> more = new ArrayList<>(java.barrier(List.of(a, b)));
            more.addAll(java.rec.events);
            assertThat(more.stream().map(PusherEvent::getEventName).toList())
                    .as("nothing else (no echo of its own client event, no duplicate)").isEmpty();
            assertThat(untilSentinels(channel, List.of(a, b), alice).get(alice)).as("nothing else at alice")
                    .isEmpty();
            java.disconnect();
        }
    }

    @Test
    void socketIdExclusionWorksWhenTheExcludedSocketIsOnTheOtherNode() throws Exception {
        String channel = unique("excl");
        try (Raw excluded = Raw.connect(b); Raw sameNodeAsExcluded = Raw.connect(b); Raw onA = Raw.connect(a)) {
            for (Raw c : List.of(excluded, sameNodeAsExcluded, onA)) {
                c.subscribe(channel);
            }
            // triggered on A, excluding a socket of B
            a.trigger(List.of(channel), "update", Map.of("n", 1), excluded.socketId);
            // and on B, excluding a socket of A
            b.trigger(List.of(channel), "update", Map.of("n", 2), onA.socketId);

            Map<Raw, List<JsonNode>> got = untilSentinels(channel, List.of(a, b), excluded, sameNodeAsExcluded, onA);
            assertThat(sequence(got.get(excluded), "update")).as("excluded %s (trigger on %s)", excluded, a.id())
                    .containsExactly(2);
            assertThat(sequence(got.get(sameNodeAsExcluded), "update")).as("%s", sameNodeAsExcluded)
                    .containsExactlyInAnyOrder(1, 2);
            assertThat(sequence(got.get(onA), "update")).as("excluded %s (trigger on %s)", onA, b.id())
                    .containsExactly(1);
            for (List<JsonNode> l : got.values()) {
                assertThat(eventNames(l)).containsOnly("update");
            }
        }
    }

    @Test
    void officialJavaClientsOnBothNodesExchangeClientEventsOnAPrivateChannel() throws Exception {
        String channel = "private-" + unique("java");
        Pusher onA = a.javaClient(new SigningAuthorizer(ClusterNodes.APP_ID, ClusterNodes.KEY, ClusterNodes.SECRET,
                null));
        Pusher onB = b.javaClient(new SigningAuthorizer(ClusterNodes.APP_ID, ClusterNodes.KEY, ClusterNodes.SECRET,
                null));
        ChannelRecorder recA = new ChannelRecorder();
        ChannelRecorder recB = new ChannelRecorder();
        onA.connect();
        onB.connect();
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> onA.getConnection().getState() == ConnectionState.CONNECTED
                        && onB.getConnection().getState() == ConnectionState.CONNECTED);
        var chA = onA.subscribePrivate(channel, recA, "client-ping", "client-pong");
        var chB = onB.subscribePrivate(channel, recB, "client-ping", "client-pong");
        assertThat(recA.subscriptions.poll(10, TimeUnit.SECONDS)).isEqualTo(channel);
        assertThat(recB.subscriptions.poll(10, TimeUnit.SECONDS)).isEqualTo(channel);

        chA.trigger("client-ping", "{\"from\":\"a\"}");
        PusherEvent atB = recB.events.poll(10, TimeUnit.SECONDS);
        assertThat(atB).as("client-ping from %s at %s", a.id(), b.id()).isNotNull();
        assertThat(atB.getEventName()).isEqualTo("client-ping");
        chB.trigger("client-pong", "{\"from\":\"b\"}");
        PusherEvent atA = recA.events.poll(10, TimeUnit.SECONDS);
        assertThat(atA).as("client-pong from %s at %s", b.id(), a.id()).isNotNull();
        assertThat(atA.getEventName()).isEqualTo("client-pong");
        Thread.sleep(500); // an echo or a duplicate would be right behind
        assertThat(recA.events).as("at %s: no echo, no duplicate", a.id()).isEmpty();
        assertThat(recB.events).as("at %s: no echo, no duplicate", b.id()).isEmpty();
        onA.disconnect();
        onB.disconnect();
    }

    @Test
    void batchTriggerOnOneNodeReachesSubscribersOnTheOtherWithExclusion() throws Exception {
        String c1 = unique("batch");
        String c2 = unique("batch");
        try (Raw onA = Raw.connect(a); Raw onA2 = Raw.connect(a); Raw onB = Raw.connect(b)) {
            for (Raw c : List.of(onA, onA2, onB)) {
                c.subscribe(c1);
                c.subscribe(c2);
            }
            com.pusher.rest.data.Result r = b.api().trigger(List.of(
                    new com.pusher.rest.data.Event(c1, "batched", Map.of("n", 1)),
                    new com.pusher.rest.data.Event(c2, "batched", Map.of("n", 2)),
                    new com.pusher.rest.data.Event(c1, "batched", Map.of("n", 3), onA2.socketId)));
            assertThat(r.getStatus()).as("POST /batch_events on %s: %s", b.id(), r.getMessage())
                    .isEqualTo(com.pusher.rest.data.Result.Status.SUCCESS);
            Map<Raw, List<JsonNode>> got1 = untilSentinels(c1, List.of(a, b), onA, onA2, onB);
            Map<Raw, List<JsonNode>> got2 = untilSentinels(c2, List.of(a, b), onA, onA2, onB);
            for (Raw c : List.of(onA, onA2, onB)) {
                List<JsonNode> all = new ArrayList<>(got1.get(c));
                all.addAll(got2.get(c));
                List<Integer> expected = c == onA2 ? List.of(1, 2) : List.of(1, 2, 3);
                assertThat(sequence(all, "batched")).as("batch from %s at %s", b.id(), c)
                        .containsExactlyInAnyOrderElementsOf(expected);
            }
        }
    }
}
