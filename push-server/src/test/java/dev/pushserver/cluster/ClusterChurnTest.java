package dev.pushserver.cluster;

import static dev.pushserver.cluster.ClusterSupport.JSON;
import static dev.pushserver.cluster.ClusterSupport.channels;
import static dev.pushserver.cluster.ClusterSupport.presenceUserCounts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.ClusterNodes;
import dev.pushserver.testing.ClusterNodes.Node;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.RedisProcess;
import dev.pushserver.testing.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode under churn: 2 nodes x 1000 raw WebSocket connections subscribe to and leave public and presence
 * channels (users connected to both nodes, some connections dropped and replaced) for 30 s. Once it stops, both
 * nodes report exactly the channels and user counts the open connections make; once every connection is closed,
 * nothing is left on either node, and the webhooks balance: per channel as many channel_vacated as
 * channel_occupied, per channel and user as many member_removed as member_added.
 */
class ClusterChurnTest {

    private static final int PER_NODE = 1000;
    private static final int PUBLIC_CHANNELS = 500;
    private static final int PRESENCE_CHANNELS = 100;
    private static final int USERS = 400;
    private static final long CHURN_MS = 30_000;
    private static final int OPS_PER_SECOND = 400;

    @TempDir
    Path dir;

    /** One simulated client: its node, user, connection and the channels it holds. */
    private static final class Conn {
        final Node node;
        final String userId;
        RawClient client;
        String socketId;
        final Set<String> subs = new HashSet<>();

        Conn(Node node, String userId) {
            this.node = node;
            this.userId = userId;
        }

        void open() throws Exception {
            client = node.connect();
            socketId = client.socketId();
        }
    }

    private final List<String> problems = new ArrayList<>();
    private long messages;

    /** Reads everything the connection has received so far, keeping errors. */
    private void drain(Conn c) throws Exception {
        String m;
        while ((m = c.client.next(0)) != null) {
            messages++;
            if (m.contains("pusher:error") || m.contains("subscription_error")) {
                JsonNode n = JSON.readTree(m);
                String ev = n.path("event").asText();
                if (ev.equals("pusher:error") || ev.equals("pusher:subscription_error")) {
                    problems.add(c.socketId + "@" + c.node.id() + ": " + m);
                }
            }
        }
    }

    @Test
    void churnOnTwoNodesLeavesConsistentStateAndBalancedWebhooks() throws Exception {
        Random rnd = new Random(42);
        List<Conn> conns = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (RedisProcess redis = RedisProcess.start(); WebhookReceiver hooks = WebhookReceiver.start("/hook");
                ClusterNodes cluster = ClusterNodes.builder(dir, redis).nodes(2)
                        .webhook(hooks.url(), "channel_occupied", "channel_vacated", "member_added", "member_removed")
                        .start()) {
            List<Node> nodes = cluster.nodes();
            long t0 = System.nanoTime();
            for (int i = 0; i < PER_NODE * nodes.size(); i++) {
                conns.add(new Conn(nodes.get(i % nodes.size()), "u" + rnd.nextInt(USERS)));
            }
            List<Future<?>> opened = new ArrayList<>();
            for (Conn c : conns) {
                opened.add(pool.submit(() -> {
                    c.open();
                    return null;
                }));
            }
            for (Future<?> f : opened) {
                f.get();
            }
            long connectedMs = (System.nanoTime() - t0) / 1_000_000;

            // churn
            long start = System.nanoTime();
            long ops = 0;
            long subscribes = 0;
            long unsubscribes = 0;
            long reconnects = 0;
            long lastDrain = start;
            while (System.nanoTime() - start < CHURN_MS * 1_000_000) {
                long due = (System.nanoTime() - start) * OPS_PER_SECOND / 1_000_000_000;
                while (ops < due) {
                    ops++;
                    Conn c = conns.get(rnd.nextInt(conns.size()));
                    double r = rnd.nextDouble();
                    if (r < 0.02) {
                        // the connection drops (no unsubscribe, no close frame) and the client comes back
                        c.client.close();
                        drain(c);
                        c.subs.clear();
                        c.open();
                        reconnects++;
                    } else if (c.subs.isEmpty() || (c.subs.size() < 4 && r < 0.5)) {
                        String ch = rnd.nextDouble() < 0.4 ? "presence-churn-" + rnd.nextInt(PRESENCE_CHANNELS)
                                : "churn-" + rnd.nextInt(PUBLIC_CHANNELS);
                        if (c.subs.add(ch)) {
                            c.client.send(ch.startsWith("presence-")
                                    ? Messages.subscribePresence(ClusterNodes.KEY, ClusterNodes.SECRET, c.socketId,
                                            ch, "{\"user_id\":\"" + c.userId + "\",\"user_info\":{\"n\":\""
                                                    + c.userId + "\"}}")
                                    : Messages.subscribe(ch));
                            subscribes++;
                        }
                    } else {
                        String ch = c.subs.stream().skip(rnd.nextInt(c.subs.size())).findFirst().orElseThrow();
                        c.subs.remove(ch);
                        c.client.send(Messages.unsubscribe(ch));
                        unsubscribes++;
                    }
                }
                if (System.nanoTime() - lastDrain > 1_000_000_000L) {
                    for (Conn c : conns) {
                        drain(c);
                    }
                    lastDrain = System.nanoTime();
                }
                Thread.sleep(5);
            }
            // every client's last frames have been handled once it answers a ping
            for (Conn c : conns) {
                c.client.send(Messages.PING);
            }
            for (Conn c : conns) {
                long deadline = System.currentTimeMillis() + 20_000;
                while (true) {
                    String m = c.client.next(Math.max(1, deadline - System.currentTimeMillis()));
                    assertThat(m).as("pong from %s@%s", c.socketId, c.node.id()).isNotNull();
                    messages++;
                    if (m.contains("pusher:pong")) {
                        break;
                    }
                    if (m.contains("pusher:error") || m.contains("subscription_error")) {
                        problems.add(c.socketId + "@" + c.node.id() + ": " + m);
                    }
                }
                assertThat(c.client.isOpen()).as("%s@%s still open", c.socketId, c.node.id()).isTrue();
            }
            System.out.printf("[cluster] churn: %d connections on %d nodes (connected in %d ms), %d ops in %d s "
                    + "(%d subscribes, %d unsubscribes, %d dropped connections), %d messages received%n",
                    conns.size(), nodes.size(), connectedMs, ops, CHURN_MS / 1000, subscribes, unsubscribes,
                    reconnects, messages);
            assertThat(problems).as("errors sent to clients (limits are lifted; every subscribe is valid)")
                    .isEmpty();

            // what the open connections make
            Set<String> expectedChannels = new TreeSet<>();
            Map<String, Set<String>> expectedUsers = new TreeMap<>();
            for (Conn c : conns) {
                expectedChannels.addAll(c.subs);
                for (String ch : c.subs) {
                    if (ch.startsWith("presence-")) {
                        expectedUsers.computeIfAbsent(ch, k -> new TreeSet<>()).add(c.userId);
                    }
                }
            }
            Map<String, Integer> expectedCounts = new TreeMap<>();
            expectedUsers.forEach((ch, u) -> expectedCounts.put(ch, u.size()));
            long settle = System.nanoTime();
            Awaitility.await("both nodes report the channels of the open connections").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        for (Node n : nodes) {
                            assertThat(channels(n)).as("GET /channels from %s", n.id()).isEqualTo(expectedChannels);
                            assertThat(presenceUserCounts(n)).as("user counts from %s", n.id())
                                    .isEqualTo(expectedCounts);
                        }
                    });
            long settleMs = (System.nanoTime() - settle) / 1_000_000;

            // everyone leaves
            long closeAt = System.nanoTime();
            for (Conn c : conns) {
                c.client.close();
            }
            Awaitility.await("no channel left on either node").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        for (Node n : nodes) {
                            assertThat(channels(n)).as("GET /channels from %s", n.id()).isEmpty();
                            assertThat(presenceUserCounts(n)).as("presence channels from %s", n.id()).isEmpty();
                        }
                    });
            long emptyMs = (System.nanoTime() - closeAt) / 1_000_000;
            for (Node n : nodes) {
                for (int i = 0; i < PRESENCE_CHANNELS; i += 10) {
                    assertThat(ClusterSupport.users(n, "presence-churn-" + i)).as("members left on %s", n.id())
                            .isEmpty();
                }
            }

            // webhooks balance
            Awaitility.await("webhooks balance").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(imbalance(hooks)).isEmpty());
            Thread.sleep(2_000); // late (duplicate) deliveries would unbalance it again
            Map<String, int[]> balance = balance(hooks);
            System.out.printf("[cluster] churn: state right %d ms after the churn stopped, empty %d ms after all "
                    + "closed; webhooks: %d events, %d channels occupied/vacated, %d (channel, user) pairs%n",
                    settleMs, emptyMs, hooks.acceptedEvents().size(),
                    balance.keySet().stream().filter(k -> !k.contains(" ")).count(),
                    balance.keySet().stream().filter(k -> k.contains(" ")).count());
            assertThat(imbalance(hooks)).as("channel / (channel user): [occupied or added, vacated or removed]")
                    .isEmpty();
            assertThat(balance).as("webhooks arrived").isNotEmpty();
        } finally {
            for (Conn c : conns) {
                if (c.client != null) {
                    c.client.close();
                }
            }
            pool.shutdownNow();
        }
    }

    /** channel -> [occupied, vacated]; "channel user" -> [added, removed]. */
    private static Map<String, int[]> balance(WebhookReceiver hooks) {
        Map<String, int[]> out = new HashMap<>();
        for (JsonNode e : hooks.acceptedEvents()) {
            String name = e.path("name").asText();
            String ch = e.path("channel").asText();
            switch (name) {
                case "channel_occupied" -> out.computeIfAbsent(ch, k -> new int[2])[0]++;
                case "channel_vacated" -> out.computeIfAbsent(ch, k -> new int[2])[1]++;
                case "member_added" -> out.computeIfAbsent(ch + " " + e.path("user_id").asText(), k -> new int[2])[0]++;
                case "member_removed" ->
                        out.computeIfAbsent(ch + " " + e.path("user_id").asText(), k -> new int[2])[1]++;
                default -> { }
            }
        }
        return out;
    }

    private static Map<String, String> imbalance(WebhookReceiver hooks) {
        Map<String, String> out = new TreeMap<>();
        balance(hooks).forEach((k, v) -> {
            if (v[0] != v[1]) {
                out.put(k, v[0] + "/" + v[1]);
            }
        });
        return out;
    }
}
