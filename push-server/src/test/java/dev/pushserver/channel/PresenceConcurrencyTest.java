package dev.pushserver.channel;

import static dev.pushserver.channel.ChannelTestSupport.FAST_STOP;
import static dev.pushserver.channel.ChannelTestSupport.JSON;
import static dev.pushserver.channel.ChannelTestSupport.httpGet;
import static dev.pushserver.channel.ChannelTestSupport.occupied;
import static dev.pushserver.channel.ChannelTestSupport.raw;
import static dev.pushserver.channel.ChannelTestSupport.unique;
import static dev.pushserver.channel.ChannelTestSupport.userCount;
import static dev.pushserver.channel.ChannelTestSupport.users;
import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribePresence;
import static dev.pushserver.testing.Messages.unsubscribe;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.channel.ChannelTestSupport.Raw;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many connections joining, churning and leaving one presence channel at once, from several threads and spread
 * over several event loops: the server's membership (user_count, users, occupied) and what a member is told must
 * end consistent. The exact interleavings that could make member events contradict a joiner's roster are tested
 * deterministically, without sockets, in {@code core.ChannelRulesTest} and {@code core.AsyncStoreTest}.
 */
class PresenceConcurrencyTest {

    private static final int CLIENTS = 50;
    private static final int USERS = 25; // two connections per user
    private static final int CHURN = 3;

    @RegisterExtension
    final TestServer server = TestServer.perTest(apps(app(1)) + "event_loop_threads: 4\n" + FAST_STOP);
    private com.pusher.rest.Pusher api;
    private ExecutorService pool;
    private final List<Raw> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        api = server.httpClient("app-1", "key-1", "secret-1");
        pool = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(Raw::close);
        pool.shutdownNow();
        pool.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static String channelData(int i) {
        return "{\"user_id\":\"u" + (i % USERS) + "\",\"user_info\":{\"i\":" + (i % USERS) + "}}";
    }

    /** Subscribes and waits for this channel's subscription_succeeded, skipping member events of others. */
    private static void join(Raw c, String channel, String cd) throws Exception {
        c.send(subscribePresence("key-1", "secret-1", c.socketId(), channel, cd));
        while (true) {
            JsonNode m = c.next();
            String ev = m.path("event").asText();
            if (ev.equals("pusher_internal:subscription_succeeded")) {
                return;
            }
            assertThat(ev).as("while joining: %s", m).startsWith("pusher_internal:member_");
        }
    }

    private void runAll(List<Callable<Void>> tasks) throws Exception {
        List<Future<Void>> futures = pool.invokeAll(tasks, 60, TimeUnit.SECONDS);
        for (Future<Void> f : futures) {
            f.get(); // rethrows the first failure
        }
    }

    private void connectAll() throws Exception {
        List<Callable<Raw>> connects = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            connects.add(() -> raw(server, "key-1"));
        }
        for (Future<Raw> f : pool.invokeAll(connects, 30, TimeUnit.SECONDS)) {
            clients.add(f.get());
        }
    }

    /** Everyone joins, then leaves and re-joins CHURN times, all at once. */
    private void joinAndChurn(String channel) throws Exception {
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            Raw c = clients.get(i);
            String cd = channelData(i);
            tasks.add(() -> {
                join(c, channel, cd);
                for (int k = 0; k < CHURN; k++) {
                    c.send(unsubscribe(channel));
                    join(c, channel, cd);
                }
                return null;
            });
        }
        runAll(tasks);
    }

    /** Half unsubscribe, half just disconnect, all at once. */
    private void leaveAll(String channel) throws Exception {
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            Raw c = clients.get(i);
            boolean unsubscribe = i % 2 == 0;
            tasks.add(() -> {
                if (unsubscribe) {
                    c.send(unsubscribe(channel));
                } else {
                    c.close();
                }
                return null;
            });
        }
        runAll(tasks);
    }

    private static Set<String> expectedUsers() {
        Set<String> ids = new TreeSet<>();
        for (int u = 0; u < USERS; u++) {
            ids.add("u" + u);
        }
        return ids;
    }

    @Test
    void concurrentJoinChurnAndLeaveEndConsistent() throws Exception {
        String channel = "presence-" + unique("crowd");
        connectAll();
        joinAndChurn(channel);

        assertThat(userCount(api, channel)).isEqualTo(USERS);
        assertThat(new TreeSet<>(users(api, channel))).isEqualTo(expectedUsers());
        assertThat(users(api, channel)).doesNotHaveDuplicates();
        // one more member sees the full roster
        try (Raw late = raw(server, "key-1")) {
            String cd = "{\"user_id\":\"late\"}";
            JsonNode data = late.subscribeOk(subscribePresence("key-1", "secret-1", late.socketId(), channel, cd),
                    channel);
            JsonNode p = data.path("presence");
            assertThat(p.path("count").asInt()).isEqualTo(USERS + 1);
            assertThat(p.path("ids").size()).isEqualTo(USERS + 1);
            assertThat(p.path("hash").size()).isEqualTo(USERS + 1);
            assertThat(p.path("hash").path("u7")).isEqualTo(JSON.readTree("{\"i\":7}"));
        }

        leaveAll(channel);
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> userCount(api, channel) == 0);
        assertThat(users(api, channel)).isEmpty();
        assertThat(occupied(api, channel)).isFalse();
        assertThat(httpGet(api, "/channels", Map.of()).path("channels").size()).isZero();
    }

    @Test
    void concurrentPublicSubscribeAndUnsubscribeEndWithZeroSubscriptions() throws Exception {
        String channel = unique("public-crowd");
        connectAll();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (Raw c : clients) {
            tasks.add(() -> {
                for (int k = 0; k <= CHURN; k++) {
                    c.subscribeOk(subscribe(channel), channel);
                    if (k < CHURN) {
                        c.send(unsubscribe(channel));
                    }
                }
                return null;
            });
        }
        runAll(tasks);
        assertThat(ChannelTestSupport.subscriptionCount(api, channel)).isEqualTo(CLIENTS);
        leaveAll(channel);
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> !occupied(api, channel));
        assertThat(ChannelTestSupport.subscriptionCount(api, channel)).isZero();
    }

    /**
     * A member that stays through the churn keeps a roster from member_added / member_removed. After things settle
     * its roster must equal the server's, and it must not be told about a user twice or about a user it never
     * heard of.
     */
    @Test
    void bystanderRosterMatchesTheServerAfterConcurrentChurn() throws Exception {
        String channel = "presence-" + unique("crowd");
        connectAll();
        try (Raw bystander = raw(server, "key-1")) {
            String cd = "{\"user_id\":\"bystander\"}";
            bystander.subscribeOk(subscribePresence("key-1", "secret-1", bystander.socketId(), channel, cd), channel);
            Set<String> roster = new HashSet<>(Set.of("bystander"));
            List<String> anomalies = new ArrayList<>();

            joinAndChurn(channel);
            leaveAll(channel);
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> userCount(api, channel) == 1);

            // drain what the bystander was told; the sentinel comes last (see untilSentinel)
            for (JsonNode m : ChannelTestSupport.untilSentinel(bystander, api, channel)) {
                String ev = m.path("event").asText();
                String id = JSON.readTree(m.path("data").asText()).path("user_id").asText();
                if (ev.equals("pusher_internal:member_added") && !roster.add(id)) {
                    anomalies.add("member_added for present " + id);
                } else if (ev.equals("pusher_internal:member_removed") && !roster.remove(id)) {
                    anomalies.add("member_removed for absent " + id);
                }
            }
            // late stragglers after the sentinel (the server may reorder across event loops)
            String extra;
            while ((extra = bystander.client().next(300)) != null) {
                JsonNode m = JSON.readTree(extra);
                String ev = m.path("event").asText();
                if (ev.startsWith("pusher_internal:member_")) {
                    String id = JSON.readTree(m.path("data").asText()).path("user_id").asText();
                    if (ev.endsWith("added") && !roster.add(id)) {
                        anomalies.add("late member_added for present " + id);
                    } else if (ev.endsWith("removed") && !roster.remove(id)) {
                        anomalies.add("late member_removed for absent " + id);
                    }
                }
            }
            assertThat(roster).as("bystander's roster vs server").containsExactly("bystander");
            assertThat(anomalies).as("member events out of order").isEmpty();
        }
    }
}
