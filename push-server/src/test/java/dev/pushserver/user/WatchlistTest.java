package dev.pushserver.user;

import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.user.UserTestKit.data;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.TestServer;
import dev.pushserver.user.UserTestKit.Conn;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code pusher_internal:watchlist_events} (reference §2.8, §2.9). */
class WatchlistTest {

    static final String APPS = apps(
            app(1),
            app(2, "max_watchlist_size: 2"),
            app(3, "enable_watchlist_events: false"));

    @RegisterExtension
    final TestServer server = TestServer.perTest(APPS);

    /** A watchlist_events message as name -> user ids, checking the wire shape on the way. */
    static Map<String, List<String>> watchlist(JsonNode m) throws Exception {
        assertThat(m.path("event").asText()).as("message %s", m).isEqualTo("pusher_internal:watchlist_events");
        assertThat(m.has("channel")).as("no channel field: %s", m).isFalse();
        JsonNode events = data(m).get("events");
        assertThat(events.isArray()).as("events array: %s", m).isTrue();
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (JsonNode e : events) {
            List<String> ids = new ArrayList<>();
            e.get("user_ids").forEach(id -> {
                assertThat(id.isTextual()).isTrue();
                ids.add(id.asText());
            });
            assertThat(out.put(e.get("name").asText(), ids)).as("one entry per name: %s", m).isNull();
        }
        return out;
    }

    @Test
    void signinReportsCurrentStatusOfTheWatchlistRightAway() throws Exception {
        try (Conn b = Conn.open(server, "key-1"); Conn a = Conn.open(server, "key-1")) {
            b.signin("key-1", "secret-1", "{\"id\":\"B\"}");
            a.signin("key-1", "secret-1", "{\"id\":\"A\",\"watchlist\":[\"B\",\"C\"]}");
            JsonNode m = a.next();
            assertThat(m.get("data").isObject()).as("data object as in the pusher-js tests: %s", m).isTrue();
            Map<String, List<String>> w = watchlist(m);
            assertThat(w).containsOnlyKeys("online", "offline");
            assertThat(w.get("online")).containsExactly("B");
            assertThat(w.get("offline")).containsExactly("C");
            a.expectOnlyPong();
            // B's own connection hears nothing about A (B watches nobody)
            b.expectQuiet(200);
        }
    }

    @Test
    void onlineOnFirstConnectionOfflineAfterTheLast() throws Exception {
        try (Conn a = Conn.open(server, "key-1"); Conn c1 = Conn.open(server, "key-1");
                Conn c2 = Conn.open(server, "key-1")) {
            a.signin("key-1", "secret-1", "{\"id\":\"A\",\"watchlist\":[\"C\"]}");
            Map<String, List<String>> initial = watchlist(a.next());
            assertThat(initial).isEqualTo(Map.of("offline", List.of("C")));

            c1.signin("key-1", "secret-1", "{\"id\":\"C\"}");
            assertThat(watchlist(a.next())).isEqualTo(Map.of("online", List.of("C")));

            // a second connection of an online user changes nothing
            c2.signin("key-1", "secret-1", "{\"id\":\"C\"}");
            a.expectQuiet(400);
            // neither does losing one of two connections
            c1.close();
            a.expectQuiet(600);

            c2.close();
            assertThat(watchlist(a.next())).isEqualTo(Map.of("offline", List.of("C")));
            a.expectOnlyPong();
        }
    }

    @Test
    void unsignedConnectionsDoNotCountAsOnline() throws Exception {
        try (Conn a = Conn.open(server, "key-1"); Conn c = Conn.open(server, "key-1")) {
            // C is only a presence member, never signed in
            c.send(Messages.subscribePresence("key-1", "secret-1", c.socketId(), "presence-x",
                    "{\"user_id\":\"C\"}"));
            c.expect("pusher_internal:subscription_succeeded", "presence-x");
            a.signin("key-1", "secret-1", "{\"id\":\"A\",\"watchlist\":[\"C\"]}");
            assertThat(watchlist(a.next())).isEqualTo(Map.of("offline", List.of("C")));
        }
    }

    @Test
    void watchlistOverTheLimitGets4302AndOnlyTheFirstIdsAreWatched() throws Exception {
        try (Conn a = Conn.open(server, "key-2"); Conn d = Conn.open(server, "key-2");
                Conn b = Conn.open(server, "key-2")) {
            a.signin("key-2", "secret-2", "{\"id\":\"A\",\"watchlist\":[\"B\",\"C\",\"D\"]}");
            List<JsonNode> after = new ArrayList<>();
            after.add(a.next());
            after.add(a.next());
            JsonNode err = after.stream().filter(m -> m.path("event").asText().equals("pusher:error")).findFirst()
                    .orElseThrow(() -> new AssertionError("no pusher:error 4302 after signin: " + after));
            assertThat(err.get("data").get("code").isNumber()).isTrue();
            assertThat(err.get("data").get("code").asInt()).isEqualTo(4302);
            JsonNode status = after.stream()
                    .filter(m -> m.path("event").asText().equals("pusher_internal:watchlist_events")).findFirst()
                    .orElseThrow(() -> new AssertionError("no initial watchlist status: " + after));
            assertThat(watchlist(status)).isEqualTo(Map.of("offline", List.of("B", "C")));
            assertThat(a.ws().isOpen()).as("4302 does not close").isTrue();

            // D is beyond the limit: its signin is not reported; B's is
            d.signin("key-2", "secret-2", "{\"id\":\"D\"}");
            a.expectQuiet(400);
            b.signin("key-2", "secret-2", "{\"id\":\"B\"}");
            assertThat(watchlist(a.next())).isEqualTo(Map.of("online", List.of("B")));
        }
    }

    @Test
    void javaClientWithoutWatchlistSupportIsNotDisturbedByWatchlistEvents() throws Exception {
        com.pusher.client.Pusher client = server.pusherClient("key-1", null,
                UserTestKit.userAuthenticator("key-1", "secret-1", "{\"id\":\"A\",\"watchlist\":[\"B\"]}"));
        java.util.List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.List<com.pusher.client.connection.ConnectionState> states =
                new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Conn b = Conn.open(server, "key-1")) {
            client.connect(new com.pusher.client.connection.ConnectionEventListener() {
                @Override
                public void onConnectionStateChange(com.pusher.client.connection.ConnectionStateChange change) {
                    states.add(change.getCurrentState());
                }

                @Override
                public void onError(String message, String code, Exception e) {
                    errors.add(code + " " + message + " " + e);
                }
            }, com.pusher.client.connection.ConnectionState.ALL);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                    client.getConnection().getState() == com.pusher.client.connection.ConnectionState.CONNECTED);
            client.signin();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> "A".equals(client.user().userId()));
            b.signin("key-1", "secret-1", "{\"id\":\"B\"}");
            b.close();
            // the Java client still works: a server-to-user event arrives after the watchlist traffic
            java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
            client.user().bind("ping", e -> got.add(e.getData()));
            com.pusher.rest.Pusher sdk = UserTestKit.api(server, "app-1", "key-1", "secret-1");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
                UserTestKit.ok(sdk.post("/events", UserTestKit.triggerBody("#server-to-user-A", "ping", "p")));
                return got.poll(500, java.util.concurrent.TimeUnit.MILLISECONDS) != null;
            });
            assertThat(errors).isEmpty();
            assertThat(states).doesNotContain(com.pusher.client.connection.ConnectionState.RECONNECTING,
                    com.pusher.client.connection.ConnectionState.DISCONNECTED);
        } finally {
            UserTestKit.disconnectQuietly(client);
        }
    }

    @Test
    void noWatchlistEventsWhenDisabled() throws Exception {
        try (Conn b = Conn.open(server, "key-3"); Conn a = Conn.open(server, "key-3")) {
            b.signin("key-3", "secret-3", "{\"id\":\"B\"}");
            a.signin("key-3", "secret-3", "{\"id\":\"A\",\"watchlist\":[\"B\",\"C\"]}");
            a.expectOnlyPong();
            try (Conn c = Conn.open(server, "key-3")) {
                c.signin("key-3", "secret-3", "{\"id\":\"C\"}");
            }
            b.close();
            a.expectQuiet(500);
        }
    }
}
