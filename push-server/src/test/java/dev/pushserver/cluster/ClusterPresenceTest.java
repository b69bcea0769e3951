package dev.pushserver.cluster;

import static dev.pushserver.cluster.ClusterSupport.JSON;
import static dev.pushserver.cluster.ClusterSupport.channelInfo;
import static dev.pushserver.cluster.ClusterSupport.channels;
import static dev.pushserver.cluster.ClusterSupport.presenceUserCounts;
import static dev.pushserver.cluster.ClusterSupport.unique;
import static dev.pushserver.cluster.ClusterSupport.users;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.channel.User;
import dev.pushserver.cluster.ClusterSupport.JavaMember;
import dev.pushserver.cluster.ClusterSupport.Raw;
import dev.pushserver.testing.ClusterNodes;
import dev.pushserver.testing.ClusterNodes.Node;
import dev.pushserver.testing.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode, presence and channel state: a user counts once however many nodes it is connected to, member events
 * cross nodes (member_removed only when the user's last connection anywhere goes), and the HTTP API of either node
 * answers for the whole cluster. Members are official pusher-java-client connections.
 */
class ClusterPresenceTest {

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

    private static void assertCounts(String channel, int users, int subscriptions) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (Node n : List.of(a, b)) {
                JsonNode info = channelInfo(n, channel, "user_count,subscription_count");
                assertThat(info.path("occupied").asBoolean()).as("occupied on %s: %s", n.id(), info).isTrue();
                assertThat(info.path("user_count").asInt(-1)).as("user_count from %s: %s", n.id(), info)
                        .isEqualTo(users);
                assertThat(info.path("subscription_count").asInt(-1)).as("subscription_count from %s: %s", n.id(),
                        info).isEqualTo(subscriptions);
            }
        });
    }

    @Test
    void aUserOnTwoNodesCountsOnceAndIsRemovedOnlyWithItsLastConnection() throws Exception {
        String channel = "presence-" + unique("same");
        JavaMember uOnA = JavaMember.join(a, channel, "u", "{\"tab\":\"a\"}");
        JavaMember uOnB = JavaMember.join(b, channel, "u", "{\"tab\":\"b\"}");
        assertThat(uOnB.initialIds()).as("member list at u's second connection (on %s)", b.id()).containsExactly("u");
        assertThat(uOnB.presence.getMe()).isNotNull();
        assertCounts(channel, 1, 2);
        for (Node n : List.of(a, b)) {
            assertThat(users(n, channel)).as("users from %s", n.id()).containsExactly("u");
            assertThat(presenceUserCounts(n)).as("GET /channels?info=user_count from %s", n.id())
                    .containsEntry(channel, 1);
        }

        JavaMember observer = JavaMember.join(a, channel, "observer", null, "sentinel");
        assertThat(observer.initialIds()).containsExactlyInAnyOrder("u", "observer");
        assertThat(observer.initial).as("u listed once").hasSize(2);
        assertThat(uOnA.nextAdded(10).getId()).isEqualTo("observer");
        assertThat(uOnB.nextAdded(10).getId()).as("observer (on %s) announced on %s", a.id(), b.id())
                .isEqualTo("observer");
        assertCounts(channel, 2, 3);

        // u's connection on the observer's node goes: u is still connected on B
        uOnA.disconnect();
        assertCounts(channel, 2, 2);
        observer.barrier(List.of(a, b));
        assertThat(observer.rec.removed).as("no member_removed while u is connected on %s", b.id()).isEmpty();
        assertThat(users(a, channel)).containsExactlyInAnyOrder("u", "observer");

        // u connects again on A while still connected on B: not announced again
        JavaMember uOnA2 = JavaMember.join(a, channel, "u", "{\"tab\":\"a2\"}");
        assertThat(uOnA2.initialIds()).containsExactlyInAnyOrder("u", "observer");
        assertCounts(channel, 2, 3);
        observer.barrier(List.of(a, b));
        assertThat(observer.rec.added).as("no member_added for a user already connected on %s", b.id()).isEmpty();
        uOnA2.disconnect();
        assertCounts(channel, 2, 2);
        observer.barrier(List.of(a, b));
        assertThat(observer.rec.removed).as("no member_removed while u is connected on %s", b.id()).isEmpty();

        // u's last connection (on the other node) goes: now member_removed, once
        uOnB.disconnect();
        User removed = observer.nextRemoved(10);
        assertThat(removed.getId()).isEqualTo("u");
        assertCounts(channel, 1, 1);
        observer.barrier(List.of(a, b));
        assertThat(observer.rec.removed).as("one member_removed").isEmpty();
        assertThat(observer.rec.added).as("no member_added for u's second connection").isEmpty();
        assertThat(observer.currentIds()).containsExactly("observer");
        for (Node n : List.of(a, b)) {
            assertThat(users(n, channel)).as("users from %s", n.id()).containsExactly("observer");
        }
        observer.disconnect();
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            for (Node n : List.of(a, b)) {
                assertThat(channels(n)).as("GET /channels from %s", n.id()).doesNotContain(channel);
                assertThat(channelInfo(n, channel, null).path("occupied").asBoolean()).isFalse();
            }
        });
    }

    @Test
    void membersOfTheOtherNodeAreListedAndAnnounced() throws Exception {
        String channel = "presence-" + unique("room");
        JavaMember alice = JavaMember.join(b, channel, "alice", "{\"name\":\"Alice\"}");
        JavaMember bob = JavaMember.join(a, channel, "bob", "{\"name\":\"Bob\"}", "sentinel");
        assertThat(bob.initialIds()).as("members at bob's join on %s", a.id()).containsExactlyInAnyOrder("alice",
                "bob");
        User aliceAtBob = bob.initial.stream().filter(u -> u.getId().equals("alice")).findFirst().orElseThrow();
        assertThat(JSON.readTree(aliceAtBob.getInfo())).as("alice's user_info, set on %s", b.id())
                .isEqualTo(JSON.readTree("{\"name\":\"Alice\"}"));
        User bobAtAlice = alice.nextAdded(10);
        assertThat(bobAtAlice.getId()).as("member_added at alice on %s", b.id()).isEqualTo("bob");
        assertThat(JSON.readTree(bobAtAlice.getInfo())).isEqualTo(JSON.readTree("{\"name\":\"Bob\"}"));

        for (Node n : List.of(a, b)) {
            assertThat(users(n, channel)).as("GET users from %s", n.id()).containsExactlyInAnyOrder("alice", "bob");
        }

        // carol joins on B: bob (on A) is told, with her user_info
        JavaMember carol = JavaMember.join(b, channel, "carol", "{\"name\":\"Carol\"}");
        assertThat(carol.initialIds()).containsExactlyInAnyOrder("alice", "bob", "carol");
        User carolAtBob = bob.nextAdded(10);
        assertThat(carolAtBob.getId()).isEqualTo("carol");
        assertThat(JSON.readTree(carolAtBob.getInfo())).isEqualTo(JSON.readTree("{\"name\":\"Carol\"}"));
        assertThat(alice.nextAdded(10).getId()).isEqualTo("carol");
        assertThat(users(a, channel)).containsExactlyInAnyOrder("alice", "bob", "carol");
        assertThat(bob.currentIds()).containsExactlyInAnyOrder("alice", "bob", "carol");

        // carol leaves B: bob (on A) is told
        carol.disconnect();
        assertThat(bob.nextRemoved(10).getId()).isEqualTo("carol");
        assertThat(alice.nextRemoved(10).getId()).isEqualTo("carol");
        bob.barrier(List.of(a, b));
        assertThat(bob.rec.added).as("exactly one member_added per user").isEmpty();
        assertThat(bob.rec.removed).as("exactly one member_removed").isEmpty();
        for (Node n : List.of(a, b)) {
            assertThat(users(n, channel)).as("GET users from %s", n.id()).containsExactlyInAnyOrder("alice", "bob");
        }
        alice.disconnect();
        assertThat(bob.nextRemoved(10).getId()).isEqualTo("alice");
        bob.disconnect();
    }

    @Test
    void channelsOccupiedOnlyOnTheOtherNodeAreListed() throws Exception {
        String pub = unique("only-on-b");
        String presence = "presence-" + unique("only-on-b");
        String priv = "private-" + unique("only-on-a");
        try (Raw onB = Raw.connect(b); Raw onB2 = Raw.connect(b); Raw onA = Raw.connect(a)) {
            onB.subscribe(pub);
            onB2.subscribe(pub);
            onB.join(presence, "x", "{\"k\":1}");
            onA.subscribePrivate(priv);

            for (Node n : List.of(a, b)) {
                assertThat(channels(n)).as("GET /channels from %s", n.id()).contains(pub, presence, priv);
                assertThat(presenceUserCounts(n)).as("presence channels from %s", n.id()).containsEntry(presence, 1)
                        .doesNotContainKeys(pub, priv);
                JsonNode info = channelInfo(n, pub, "subscription_count");
                assertThat(info.path("occupied").asBoolean()).as("%s from %s: %s", pub, n.id(), info).isTrue();
                assertThat(info.path("subscription_count").asInt()).as("%s from %s: %s", pub, n.id(), info)
                        .isEqualTo(2);
                assertThat(users(n, presence)).as("users of %s from %s", presence, n.id()).containsExactly("x");
            }
            JsonNode prefixed = a.get("/channels", java.util.Map.of("filter_by_prefix", "only-on-b"));
            assertThat(prefixed.path("channels").has(pub)).as("filter_by_prefix from %s: %s", a.id(), prefixed)
                    .isTrue();

            onB.close();
            onA.close();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (Node n : List.of(a, b)) {
                    assertThat(channels(n)).as("GET /channels from %s", n.id()).contains(pub)
                            .doesNotContain(presence, priv);
                    assertThat(channelInfo(n, pub, "subscription_count").path("subscription_count").asInt())
                            .isEqualTo(1);
                    assertThat(channelInfo(n, presence, "user_count").path("occupied").asBoolean()).isFalse();
                }
            });
            onB2.close();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (Node n : List.of(a, b)) {
                    assertThat(channels(n)).as("GET /channels from %s", n.id()).doesNotContain(pub);
                }
            });
        }
    }

    /**
     * One user joins the same presence channels on both nodes at the same moment, then leaves both at the same
     * moment: observers on either node are told exactly once per channel each way (the cluster decides the
     * transitions, not each node on its own).
     */
    @Test
    void simultaneousJoinsAndLeavesOfOneUserOnBothNodesAreAnnouncedOnce() throws Exception {
        int n = 30;
        List<String> rooms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rooms.add("presence-" + unique("race"));
        }
        try (Raw obsA = Raw.connect(a); Raw obsB = Raw.connect(b); Raw uA = Raw.connect(a);
                Raw uB = Raw.connect(b)) {
            for (String room : rooms) {
                obsA.join(room, "obs-a", null);
                obsB.join(room, "obs-b", null);
            }
            // both connections of u send all their joins without waiting
            Thread ta = new Thread(() -> rooms.forEach(room -> uA.send(uA.joinMessage(room, "u", null))));
            Thread tb = new Thread(() -> rooms.forEach(room -> uB.send(uB.joinMessage(room, "u", null))));
            ta.start();
            tb.start();
            ta.join();
            tb.join();
            for (Raw u : List.of(uA, uB)) {
                java.util.Set<String> ok = new java.util.HashSet<>();
                while (ok.size() < n) {
                    ok.add(u.await("pusher_internal:subscription_succeeded", null, 10).path("channel").asText());
                }
            }
            Map<String, Integer> addedA = countMember(obsA, "pusher_internal:member_added", rooms);
            Map<String, Integer> addedB = countMember(obsB, "pusher_internal:member_added", rooms);
            for (String room : rooms) {
                assertThat(addedA.getOrDefault(room, 0)).as("member_added u on %s at %s", room, a.id()).isEqualTo(1);
                assertThat(addedB.getOrDefault(room, 0)).as("member_added u on %s at %s", room, b.id()).isEqualTo(1);
            }
            for (Node node : List.of(a, b)) {
                Map<String, Integer> counts = presenceUserCounts(node);
                for (String room : rooms) {
                    assertThat(counts.get(room)).as("user_count of %s from %s", room, node.id()).isEqualTo(3);
                }
            }

            Thread la = new Thread(() -> rooms.forEach(room -> uA.send(dev.pushserver.testing.Messages
                    .unsubscribe(room))));
            Thread lb = new Thread(() -> rooms.forEach(room -> uB.send(dev.pushserver.testing.Messages
                    .unsubscribe(room))));
            la.start();
            lb.start();
            la.join();
            lb.join();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Map<String, Integer> counts = presenceUserCounts(a);
                for (String room : rooms) {
                    assertThat(counts.get(room)).as("user_count of %s after u left", room).isEqualTo(2);
                }
            });
            Map<String, Integer> removedA = countMember(obsA, "pusher_internal:member_removed", rooms);
            Map<String, Integer> removedB = countMember(obsB, "pusher_internal:member_removed", rooms);
            for (String room : rooms) {
                assertThat(removedA.getOrDefault(room, 0)).as("member_removed u on %s at %s", room, a.id())
                        .isEqualTo(1);
                assertThat(removedB.getOrDefault(room, 0)).as("member_removed u on %s at %s", room, b.id())
                        .isEqualTo(1);
            }
        }
    }

    /**
     * Per room, how many {@code event}s for user u reached {@code c}: waits until each room has one, then reads up
     * to sentinels of every room triggered through both nodes, so duplicates are counted too.
     */
    private static Map<String, Integer> countMember(Raw c, String event, List<String> rooms) throws Exception {
        Map<String, Integer> out = new java.util.HashMap<>();
        long deadline = System.currentTimeMillis() + 10_000;
        while (out.size() < rooms.size()) {
            long left = deadline - System.currentTimeMillis();
            JsonNode m = left <= 0 ? null : c.next(left);
            assertThat(m).as("%s for u at %s on every room; got it on %s", event, c, out.keySet()).isNotNull();
            count(m, event, out);
        }
        for (String room : rooms) {
            for (JsonNode m : ClusterSupport.untilSentinels(room, List.of(a, b), c).get(c)) {
                count(m, event, out);
            }
        }
        return out;
    }

    private static void count(JsonNode m, String event, Map<String, Integer> out) throws Exception {
        if (m.path("event").asText().equals(event)
                && JSON.readTree(m.path("data").asText()).path("user_id").asText().equals("u")) {
            out.merge(m.path("channel").asText(), 1, Integer::sum);
        }
    }
}
