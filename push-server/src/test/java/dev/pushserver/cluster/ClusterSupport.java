package dev.pushserver.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pusher.client.Pusher;
import com.pusher.client.channel.PresenceChannel;
import com.pusher.client.channel.PusherEvent;
import com.pusher.client.channel.User;
import com.pusher.client.connection.ConnectionState;
import dev.pushserver.testing.ChannelRecorder;
import dev.pushserver.testing.ClusterNodes;
import dev.pushserver.testing.ClusterNodes.Node;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SigningAuthorizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/** Clients and HTTP API look-ups shared by the cluster tests. */
final class ClusterSupport {

    static final ObjectMapper JSON = RawClient.json();
    private static final AtomicInteger SEQ = new AtomicInteger();

    private ClusterSupport() {
    }

    static String unique(String prefix) {
        return prefix + "-" + SEQ.incrementAndGet();
    }

    // ---- raw WebSocket clients -----------------------------------------------------------------------------------

    /** A raw client connected to one node, with its socket_id. */
    static final class Raw implements AutoCloseable {
        final Node node;
        final RawClient client;
        final String socketId;

        private Raw(Node node, RawClient client, String socketId) {
            this.node = node;
            this.client = client;
            this.socketId = socketId;
        }

        static Raw connect(Node node) throws Exception {
            RawClient c = node.connect();
            try {
                return new Raw(node, c, c.socketId());
            } catch (Throwable t) {
                c.close();
                throw t;
            }
        }

        void send(String text) {
            client.send(text);
        }

        /** Every message read so far, in order. */
        final List<JsonNode> history = new java.util.concurrent.CopyOnWriteArrayList<>();

        /** The next message within {@code millis}, or null. */
        JsonNode next(long millis) throws Exception {
            String m = client.next(millis);
            if (m == null) {
                return null;
            }
            JsonNode n = JSON.readTree(m);
            history.add(n);
            return n;
        }

        /** "event user_id" of every presence member event read so far, counted. */
        Map<String, Integer> memberEvents(String channel) throws Exception {
            Map<String, Integer> out = new java.util.TreeMap<>();
            for (JsonNode m : history) {
                String ev = m.path("event").asText();
                if ((ev.equals("pusher_internal:member_added") || ev.equals("pusher_internal:member_removed"))
                        && channel.equals(m.path("channel").asText())) {
                    out.merge(ev.substring("pusher_internal:".length()) + " "
                            + JSON.readTree(m.path("data").asText()).path("user_id").asText(), 1, Integer::sum);
                }
            }
            return out;
        }

        /** Reads messages until {@link #memberEvents} contains {@code keys}, at most {@code seconds}. */
        void awaitMemberEvents(String channel, long seconds, String... keys) throws Exception {
            long deadline = System.currentTimeMillis() + seconds * 1000;
            while (!memberEvents(channel).keySet().containsAll(List.of(keys))) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || next(left) == null) {
                    throw new AssertionError("member events " + List.of(keys) + " on " + channel + " at " + this
                            + " within " + seconds + " s; got " + memberEvents(channel));
                }
            }
        }

        /** Skips messages until this event arrives (on this channel if not null); fails after {@code seconds}. */
        JsonNode await(String event, String channel, long seconds) throws Exception {
            long deadline = System.currentTimeMillis() + seconds * 1000;
            List<String> skipped = new ArrayList<>();
            while (true) {
                long left = deadline - System.currentTimeMillis();
                JsonNode m = left <= 0 ? null : next(left);
                if (m == null) {
                    throw new AssertionError("no " + event + (channel == null ? "" : " on " + channel) + " within "
                            + seconds + " s at " + socketId + " on " + node.id() + "; skipped " + skipped);
                }
                if (event.equals(m.path("event").asText())
                        && (channel == null || channel.equals(m.path("channel").asText()))) {
                    return m;
                }
                skipped.add(m.toString());
            }
        }

        void subscribe(String channel) throws Exception {
            send(Messages.subscribe(channel));
            await("pusher_internal:subscription_succeeded", channel, 10);
        }

        void subscribePrivate(String channel) throws Exception {
            send(Messages.subscribeSigned(ClusterNodes.KEY, ClusterNodes.SECRET, socketId, channel));
            await("pusher_internal:subscription_succeeded", channel, 10);
        }

        /** Joins a presence channel; returns the parsed data of subscription_succeeded. */
        JsonNode join(String channel, String userId, String userInfoJson) throws Exception {
            send(joinMessage(channel, userId, userInfoJson));
            JsonNode ok = await("pusher_internal:subscription_succeeded", channel, 10);
            return JSON.readTree(ok.path("data").asText());
        }

        String joinMessage(String channel, String userId, String userInfoJson) {
            String cd = "{\"user_id\":" + Messages.quote(userId)
                    + (userInfoJson == null ? "" : ",\"user_info\":" + userInfoJson) + "}";
            return Messages.subscribePresence(ClusterNodes.KEY, ClusterNodes.SECRET, socketId, channel, cd);
        }

        @Override
        public void close() {
            client.close();
        }

        @Override
        public String toString() {
            return socketId + "@" + node.id();
        }
    }

    /**
     * A barrier across nodes: triggers a {@code sentinel} event with a unique marker on {@code channel} through each
     * of {@code via} (in order) and returns, per client, every other message that arrived before all of those markers.
     * Whatever a node published before the barrier (directly, or by relaying another node's publication) reaches a
     * subscriber before that node's later sentinel, so duplicates and wrongly delivered messages show up here.
     */
    static Map<Raw, List<JsonNode>> untilSentinels(String channel, List<Node> via, Raw... clients) throws Exception {
        Set<String> markers = new HashSet<>();
        for (Node n : via) {
            String marker = unique("m");
            markers.add(marker);
            n.trigger(channel, "sentinel", Map.of("marker", marker));
        }
        Map<Raw, List<JsonNode>> out = new LinkedHashMap<>();
        for (Raw c : clients) {
            Set<String> missing = new HashSet<>(markers);
            List<JsonNode> got = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 10_000;
            while (!missing.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                JsonNode m = left <= 0 ? null : c.next(left);
                if (m == null) {
                    throw new AssertionError("sentinels " + missing + " did not reach " + c + " within 10 s; got "
                            + got);
                }
                if ("sentinel".equals(m.path("event").asText())) {
                    String data = m.path("data").asText();
                    missing.removeIf(data::contains);
                    continue;
                }
                got.add(m);
            }
            out.put(c, got);
        }
        return out;
    }

    static List<String> eventNames(List<JsonNode> messages) {
        return messages.stream().map(m -> m.path("event").asText()).toList();
    }

    // ---- official Java client on a presence channel ------------------------------------------------------------

    /** An official pusher-java-client connected to one node and joined to one presence channel. */
    static final class JavaMember {
        final Node node;
        final Pusher pusher;
        final ChannelRecorder rec = new ChannelRecorder();
        final String channel;
        final String userId;
        PresenceChannel presence;
        Set<User> initial;

        private JavaMember(Node node, String channel, String userId, String channelData) {
            this.node = node;
            this.channel = channel;
            this.userId = userId;
            this.pusher = node.javaClient(new SigningAuthorizer(ClusterNodes.APP_ID, ClusterNodes.KEY,
                    ClusterNodes.SECRET, channelData));
        }

        /** Connects, subscribes (binding {@code events}) and waits for the member list. */
        static JavaMember join(Node node, String channel, String userId, String userInfoJson, String... events)
                throws Exception {
            String cd = "{\"user_id\":" + Messages.quote(userId)
                    + (userInfoJson == null ? "" : ",\"user_info\":" + userInfoJson) + "}";
            JavaMember m = new JavaMember(node, channel, userId, cd);
            m.pusher.connect();
            Awaitility.await("java client " + userId + " connected to " + node.id()).atMost(Duration.ofSeconds(10))
                    .until(() -> m.pusher.getConnection().getState() == ConnectionState.CONNECTED);
            m.presence = m.pusher.subscribePresence(channel, m.rec, events);
            m.initial = m.rec.initial.poll(10, TimeUnit.SECONDS);
            assertThat(m.initial).as("onUsersInformationReceived for %s on %s (problems %s)", userId, node.id(),
                    m.rec.problems).isNotNull();
            return m;
        }

        Set<String> initialIds() {
            return ids(initial);
        }

        Set<String> currentIds() {
            return ids(presence.getUsers());
        }

        /** The next member_added, waiting up to {@code seconds}; fails when none arrives. */
        User nextAdded(long seconds) throws InterruptedException {
            User u = rec.added.poll(seconds, TimeUnit.SECONDS);
            assertThat(u).as("member_added at %s on %s within %d s", userId, node.id(), seconds).isNotNull();
            return u;
        }

        User nextRemoved(long seconds) throws InterruptedException {
            User u = rec.removed.poll(seconds, TimeUnit.SECONDS);
            assertThat(u).as("member_removed at %s on %s within %d s", userId, node.id(), seconds).isNotNull();
            return u;
        }

        /**
         * Triggers a sentinel (bound at join) through each of {@code via} and waits until all of them reached this
         * client: member events published before the barrier have then been received. Returns the other bound events
         * that arrived before the last marker.
         */
        List<PusherEvent> barrier(List<Node> via) throws InterruptedException {
            List<PusherEvent> others = new ArrayList<>();
            Set<String> markers = new HashSet<>();
            for (Node n : via) {
                String marker = unique("j");
                markers.add(marker);
                n.trigger(channel, "sentinel", Map.of("marker", marker));
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (!markers.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                PusherEvent e = left <= 0 ? null : rec.events.poll(left, TimeUnit.MILLISECONDS);
                assertThat(e).as("sentinels %s at %s on %s", markers, userId, node.id()).isNotNull();
                if ("sentinel".equals(e.getEventName())) {
                    for (Iterator<String> it = markers.iterator(); it.hasNext();) {
                        if (e.getData().contains(it.next())) {
                            it.remove();
                        }
                    }
                } else {
                    others.add(e);
                }
            }
            return others;
        }

        void disconnect() {
            pusher.disconnect();
        }
    }

    static Set<String> ids(Set<User> users) {
        Set<String> out = new TreeSet<>();
        if (users != null) {
            users.forEach(u -> out.add(u.getId()));
        }
        return out;
    }

    // ---- HTTP API -------------------------------------------------------------------------------------------------

    /** GET /channels: the names of the occupied channels this node reports. */
    static Set<String> channels(Node node) {
        Set<String> out = new TreeSet<>();
        node.get("/channels").path("channels").fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** GET /channels?filter_by_prefix=presence-&info=user_count: channel to user_count. */
    static Map<String, Integer> presenceUserCounts(Node node) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        node.get("/channels", Map.of("filter_by_prefix", "presence-", "info", "user_count")).path("channels")
                .fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().path("user_count").asInt(-1)));
        return out;
    }

    static JsonNode channelInfo(Node node, String channel, String info) {
        return node.get("/channels/" + channel, info == null ? Map.of() : Map.of("info", info));
    }

    /** GET /channels/{channel}/users: the user ids. */
    static Set<String> users(Node node, String channel) {
        Set<String> out = new TreeSet<>();
        node.get("/channels/" + channel + "/users").path("users").forEach(u -> out.add(u.path("id").asText()));
        return out;
    }

    static void quietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // clean-up
            }
        }
    }
}
