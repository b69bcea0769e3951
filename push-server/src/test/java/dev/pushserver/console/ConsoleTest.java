package dev.pushserver.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.Pusher;
import com.pusher.client.connection.ConnectionState;
import com.pusher.rest.data.Result;
import dev.pushserver.app.App;
import dev.pushserver.testing.FrameSocket;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.Signing;
import dev.pushserver.testing.TestServer;
import dev.pushserver.testing.WebhookReceiver;
import java.nio.file.Path;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The debug console's endpoints with a real server, real WebSocket clients (the JDK's, a raw one, and
 * pusher-websocket-java) and pusher-http-java: off without admin_token or with console: false, the token on every
 * data endpoint and on the live feed, the JSON it answers, the live log, the test-event form, and a console that
 * does not read.
 */
class ConsoleTest {

    static final String TOKEN = "s3cret-console-token";
    static final String ON = "admin_token: " + TOKEN + "\n" + TestServer.DEFAULT_APPS;

    static SignedRequest.Response http(String method, int port, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = SignedRequest.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new SignedRequest.Response(r.statusCode(), r.body(), r.headers());
    }

    static SignedRequest.Response get(int port, String path, String token) throws Exception {
        return http("GET", port, path, token, null);
    }

    static String consoleUrl(TestServer server) {
        return "ws://127.0.0.1:" + server.port() + "/console/ws";
    }

    /** A live feed of app-1, past its "ready" line. */
    static RawClient feed(TestServer server, String app) throws Exception {
        RawClient c = RawClient.connect(consoleUrl(server));
        c.send("{\"token\":\"" + TOKEN + "\",\"app\":\"" + app + "\"}");
        JsonNode ready = c.nextJson();
        assertThat(ready.get("type").asText()).isEqualTo("ready");
        assertThat(ready.get("app").asText()).isEqualTo(app);
        return c;
    }

    /** The next log line of this type (skipping others), within 10 s. */
    static JsonNode next(RawClient c, String type) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            String m = c.next(Math.max(1, deadline - System.currentTimeMillis()));
            if (m == null) {
                break;
            }
            JsonNode n = RawClient.json().readTree(m);
            if (type.equals(n.path("type").asText())) {
                return n;
            }
        }
        throw new AssertionError("no " + type + " line within 10 s");
    }

    @Test
    void withoutAdminTokenEverythingUnderConsoleIsAJson404() throws Exception {
        try (TestServer server = TestServer.start()) {
            assertThat(server.server().console()).isNull();
            for (String path : List.of("/console", "/console/", "/console/console.js", "/console/api/apps",
                    "/console/ws")) {
                SignedRequest.Response r = get(server.port(), path, TOKEN);
                assertThat(r.status()).as("%s: %s", path, r).isEqualTo(404);
                assertThat(r.contentType()).startsWith("application/json");
                assertThat(r.error()).isEqualTo("Not found");
            }
            // no WebSocket either: the upgrade is answered with the 404
            try (FrameSocket ws = FrameSocket.open(server.port(), "/console/ws")) {
                assertThat(ws.statusLine()).contains(" 404 ");
            }
        }
    }

    @Test
    void consoleFalseTurnsItOffEvenWithAnAdminToken() throws Exception {
        try (TestServer server = TestServer.start("console: false\n" + ON)) {
            assertThat(get(server.port(), "/console/", null).status()).isEqualTo(404);
            assertThat(get(server.port(), "/console/api/apps", TOKEN).status()).isEqualTo(404);
            // the admin token still serves the hook admin endpoints' own rules: nothing of the console exists
            try (FrameSocket ws = FrameSocket.open(server.port(), "/console/ws")) {
                assertThat(ws.statusLine()).contains(" 404 ");
            }
        }
    }

    @Test
    void pageLoadsButDataWantsTheToken() throws Exception {
        try (TestServer server = TestServer.start(ON)) {
            SignedRequest.Response page = get(server.port(), "/console/", null);
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.contentType()).startsWith("text/html");
            assertThat(page.body()).contains("/console/console.js").doesNotContain(TOKEN).doesNotContain("secret-1");
            assertThat(page.headers().firstValue("Content-Security-Policy")).get().asString()
                    .contains("default-src 'none'");
            assertThat(get(server.port(), "/console/console.js", null).contentType())
                    .startsWith("application/javascript");
            assertThat(get(server.port(), "/console/console.css", null).status()).isEqualTo(200);
            SignedRequest.Response moved = get(server.port(), "/console", null);
            assertThat(moved.status()).isEqualTo(301);

            for (String path : List.of("/console/api/apps", "/console/api/apps/app-1",
                    "/console/api/apps/app-1/channels/presence-x/members")) {
                SignedRequest.Response none = get(server.port(), path, null);
                assertThat(none.status()).as("%s without a token: %s", path, none).isEqualTo(401);
                assertThat(none.error()).contains("admin token");
                SignedRequest.Response wrong = get(server.port(), path, TOKEN + "x");
                assertThat(wrong.status()).as("%s with a wrong token", path).isEqualTo(401);
            }
            SignedRequest.Response trigger = http("POST", server.port(), "/console/api/apps/app-1/events",
                    "wrong", "{\"channel\":\"c\",\"event\":\"e\",\"data\":\"d\"}");
            assertThat(trigger.status()).isEqualTo(401);

            JsonNode apps = get(server.port(), "/console/api/apps", TOKEN).json();
            assertThat(apps.get("cluster").asBoolean()).isFalse();
            assertThat(apps.get("apps")).hasSize(2);
            assertThat(apps.get("apps").get(0).get("id").asText()).isEqualTo("app-1");
            assertThat(apps.get("apps").get(0).get("key").asText()).isEqualTo("key-1");
            assertThat(apps.toString()).doesNotContain("secret");

            assertThat(get(server.port(), "/console/api/apps/nope", TOKEN).status()).isEqualTo(404);
            assertThat(get(server.port(), "/console/api/nothing", TOKEN).status()).isEqualTo(404);
            assertThat(http("DELETE", server.port(), "/console/api/apps/app-1", TOKEN, null).status())
                    .isEqualTo(405);
            assertThat(get(server.port(), "/console/api/apps/app-1/channels/public/members", TOKEN).status())
                    .isEqualTo(400);
        }
    }

    @Test
    void statsShowConnectionsChannelsAndPresenceMembers() throws Exception {
        try (TestServer server = TestServer.start(ON); RawClient a = RawClient.connect(server.wsUrl("key-1"));
                RawClient b = RawClient.connect(server.wsUrl("key-1"))) {
            String sa = a.socketId();
            b.socketId();
            a.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"news\"}}");
            a.nextEvent("pusher_internal:subscription_succeeded");
            b.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"news\"}}");
            b.nextEvent("pusher_internal:subscription_succeeded");
            String data = "{\"user_id\":\"alice\",\"user_info\":{\"name\":\"Alice\"}}";
            String auth = Signing.channelAuth("key-1", "secret-1", sa, "presence-room", data);
            a.send(RawClient.json().createObjectNode().put("event", "pusher:subscribe").set("data",
                    RawClient.json().createObjectNode().put("channel", "presence-room").put("auth", auth)
                            .put("channel_data", data)).toString());
            a.nextEvent("pusher_internal:subscription_succeeded");

            JsonNode stats = get(server.port(), "/console/api/apps/app-1", TOKEN).json();
            assertThat(stats.get("app").asText()).isEqualTo("app-1");
            assertThat(stats.get("connections").get("node").asInt()).isEqualTo(2);
            assertThat(stats.get("connections").get("cluster").asInt()).isEqualTo(2);
            assertThat(stats.get("channels_truncated").asBoolean()).isFalse();
            Map<String, JsonNode> byName = new java.util.HashMap<>();
            stats.get("channels").forEach(c -> byName.put(c.get("name").asText(), c));
            assertThat(byName).containsOnlyKeys("news", "presence-room");
            assertThat(byName.get("news").get("subscription_count").asInt()).isEqualTo(2);
            assertThat(byName.get("news").has("user_count")).isFalse();
            assertThat(byName.get("presence-room").get("user_count").asInt()).isEqualTo(1);

            JsonNode members = get(server.port(), "/console/api/apps/app-1/channels/presence-room/members", TOKEN)
                    .json();
            assertThat(members.get("members")).hasSize(1);
            assertThat(members.get("members").get(0).get("id").asText()).isEqualTo("alice");
            assertThat(members.get("members").get(0).get("info").get("name").asText()).isEqualTo("Alice");

            // the other app sees none of it
            JsonNode other = get(server.port(), "/console/api/apps/app-2", TOKEN).json();
            assertThat(other.get("connections").get("node").asInt()).isZero();
            assertThat(other.get("channels")).isEmpty();
        }
    }

    @Test
    void theLiveFeedRefusesABadTokenBeforeSendingAnything() throws Exception {
        try (TestServer server = TestServer.start(ON)) {
            for (String hello : List.of("{\"token\":\"wrong\",\"app\":\"app-1\"}", "{\"app\":\"app-1\"}",
                    "not json", "{\"token\":\"" + TOKEN + "\",\"app\":\"no-such-app\"}")) {
                try (RawClient c = RawClient.connect(consoleUrl(server))) {
                    c.send(hello);
                    assertThat(c.closeCode(10)).as("close code after %s", hello).isEqualTo(1008);
                    assertThat(c.next(200)).as("nothing sent before the close after %s", hello).isNull();
                }
            }
            // the feed is no Pusher connection: it is not counted as one
            try (RawClient c = feed(server, "app-1")) {
                JsonNode stats = get(server.port(), "/console/api/apps/app-1", TOKEN).json();
                assertThat(stats.get("connections").get("node").asInt()).isZero();
            }
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void theLiveLogShowsConnectionsSubscriptionsAndEventsWithPayloads() throws Exception {
        try (TestServer server = TestServer.start(ON); RawClient log = feed(server, "app-1");
                RawClient other = feed(server, "app-2")) {
            Pusher client = server.pusherClient("key-1");
            client.connect();
            long deadline = System.currentTimeMillis() + 10_000;
            while (client.getConnection().getState() != ConnectionState.CONNECTED
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            String socketId = client.getConnection().getSocketId();
            try {
                JsonNode connected = next(log, "connected");
                assertThat(connected.get("socket_id").asText()).isEqualTo(socketId);
                client.subscribe("orders");
                // the store decides the channel is occupied, then the subscription succeeds
                assertThat(next(log, "channel_occupied").get("channel").asText()).isEqualTo("orders");
                JsonNode subscribed = next(log, "subscribed");
                assertThat(subscribed.get("channel").asText()).isEqualTo("orders");
                assertThat(subscribed.get("socket_id").asText()).isEqualTo(socketId);

                com.pusher.rest.Pusher api = server.httpClient("app-1", "key-1", "secret-1");
                Result r = api.trigger("orders", "order-placed", Map.of("id", 42));
                assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
                JsonNode event = next(log, "server_event");
                assertThat(event.get("channel").asText()).isEqualTo("orders");
                assertThat(event.get("event").asText()).isEqualTo("order-placed");
                assertThat(RawClient.json().readTree(event.get("data").asText()).get("id").asInt()).isEqualTo(42);

                // a big payload is cut
                String big = "x".repeat(9000);
                assertThat(api.trigger("orders", "big", big).getStatus()).isEqualTo(Result.Status.SUCCESS);
                JsonNode cut = next(log, "server_event");
                assertThat(cut.get("data").asText().length()).isLessThanOrEqualTo(ConsoleJson.MAX_DATA);
                assertThat(cut.get("data_length").asInt()).isGreaterThanOrEqualTo(9000);

                client.unsubscribe("orders");
                assertThat(next(log, "unsubscribed").get("channel").asText()).isEqualTo("orders");
                assertThat(next(log, "channel_vacated").get("channel").asText()).isEqualTo("orders");
            } finally {
                client.disconnect();
            }
            assertThat(next(log, "disconnected").get("socket_id").asText()).isEqualTo(socketId);
            // app-2's console saw none of app-1's events
            assertThat(other.next(300)).isNull();
        }
    }

    @Test
    void anUnwatchedAppCostsNothing() throws Exception {
        try (TestServer server = TestServer.start(ON)) {
            App app = server.server().apps().byId("app-1");
            var events = server.server().core().events();
            assertThat(events.wants(app, dev.pushserver.event.EventType.CONNECTED)).isFalse();
            try (RawClient c = feed(server, "app-1")) {
                assertThat(events.wants(app, dev.pushserver.event.EventType.CONNECTED)).isTrue();
                assertThat(events.wants(server.server().apps().byId("app-2"),
                        dev.pushserver.event.EventType.CONNECTED)).isFalse();
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (events.wants(app, dev.pushserver.event.EventType.CONNECTED)
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertThat(events.wants(app, dev.pushserver.event.EventType.CONNECTED)).as("after the console left")
                    .isFalse();
        }
    }

    @Test
    void theTestEventFormPublishesThroughTheHttpApi() throws Exception {
        try (TestServer server = TestServer.start(ON); RawClient sub = RawClient.connect(server.wsUrl("key-1"));
                RawClient log = feed(server, "app-1")) {
            sub.socketId();
            sub.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"tests\"}}");
            sub.nextEvent("pusher_internal:subscription_succeeded");

            SignedRequest.Response r = http("POST", server.port(), "/console/api/apps/app-1/events", TOKEN,
                    "{\"channel\":\"tests\",\"event\":\"ping\",\"data\":\"{\\\"n\\\":1}\"}");
            assertThat(r.status()).as("%s", r).isEqualTo(200);
            JsonNode got = sub.nextEvent("ping");
            assertThat(got.get("channel").asText()).isEqualTo("tests");
            assertThat(got.get("data").asText()).isEqualTo("{\"n\":1}");
            assertThat(next(log, "server_event").get("event").asText()).isEqualTo("ping");

            // the API's own validation applies, and a refused event reaches no one
            SignedRequest.Response bad = http("POST", server.port(), "/console/api/apps/app-1/events", TOKEN,
                    "{\"channel\":\"bad channel!\",\"event\":\"ping\",\"data\":\"x\"}");
            assertThat(bad.status()).as("%s", bad).isEqualTo(400);
            assertThat(http("POST", server.port(), "/console/api/apps/app-1/events", TOKEN, "[").status())
                    .isEqualTo(400);
            assertThat(http("POST", server.port(), "/console/api/apps/app-1/events", null,
                    "{\"channel\":\"tests\",\"event\":\"ping\",\"data\":\"x\"}").status()).isEqualTo(401);
            assertThat(sub.next(500)).as("nothing delivered after refused triggers").isNull();
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void clientEventsPresenceMembersAndWebhooksSentAppearWithTheirDetails(@TempDir Path dir) throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start("/hook");
                TestServer server = TestServer.start("admin_token: " + TOKEN + "\ndata_dir: " + dir + "\n"
                        + "apps:\n  - id: app-1\n    key: key-1\n    secret: secret-1\n"
                        + "    enable_client_messages: true\n    webhooks:\n      - url: " + receiver.url() + "\n"
                        + "        event_types: [member_added]\n");
                RawClient log = feed(server, "app-1"); RawClient a = RawClient.connect(server.wsUrl("key-1"))) {
            receiver.answer(n -> 503); // the first delivery fails, its retry succeeds
            String sa = a.socketId();
            String data = "{\"user_id\":\"alice\",\"user_info\":{\"name\":\"Alice\"}}";
            String auth = Signing.channelAuth("key-1", "secret-1", sa, "presence-room", data);
            a.send(RawClient.json().createObjectNode().put("event", "pusher:subscribe").set("data",
                    RawClient.json().createObjectNode().put("channel", "presence-room").put("auth", auth)
                            .put("channel_data", data)).toString());
            a.nextEvent("pusher_internal:subscription_succeeded");
            JsonNode added = next(log, "member_added");
            assertThat(added.get("user_id").asText()).isEqualTo("alice");
            assertThat(added.get("data").asText()).contains("Alice");

            a.send("{\"event\":\"client-typing\",\"channel\":\"presence-room\",\"data\":{\"on\":true}}");
            JsonNode typing = next(log, "client_event");
            assertThat(typing.get("event").asText()).isEqualTo("client-typing");
            assertThat(typing.get("user_id").asText()).isEqualTo("alice");
            assertThat(typing.get("data").asText()).isEqualTo("{\"on\":true}");

            JsonNode failed = next(log, "webhook_sent");
            assertThat(failed.get("status").asInt()).isEqualTo(503);
            assertThat(failed.get("names").asText()).isEqualTo("member_added");
            assertThat(failed.get("url").asText()).isEqualTo(receiver.url());
            receiver.answer(n -> 200);
            long deadline = System.currentTimeMillis() + 60_000;
            JsonNode sent = null;
            while (System.currentTimeMillis() < deadline && (sent == null || sent.get("status").asInt() != 200)) {
                sent = next(log, "webhook_sent");
            }
            assertThat(sent.get("status").asInt()).as("the retry's status").isEqualTo(200);
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aConsoleThatDoesNotReadIsCutOffAtItsQueueAndToldWhatItMissed() throws Exception {
        try (TestServer server = TestServer.start(ON);
                FrameSocket slow = FrameSocket.openPaused(server.port(), "/console/ws", 4096);
                RawClient sub = RawClient.connect(server.wsUrl("key-1"))) {
            slow.sendText("{\"token\":\"" + TOKEN + "\",\"app\":\"app-1\"}");
            sub.socketId();
            sub.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"flood\"}}");
            sub.nextEvent("pusher_internal:subscription_succeeded");
            Thread.sleep(300); // the console is watching
            // 4000 events of 2 KB shown each: far more than the queue, the outbound buffer and the socket hold
            String data = "y".repeat(4000);
            int batches = 400;
            int perBatch = 10;
            for (int i = 0; i < batches; i++) {
                StringBuilder body = new StringBuilder("{\"batch\":[");
                for (int j = 0; j < perBatch; j++) {
                    body.append(j > 0 ? "," : "").append("{\"channel\":\"flood\",\"name\":\"e\",\"data\":\"")
                            .append(data).append("\"}");
                }
                SignedRequest.Response r = SignedRequest.post(server.apiPort(), "/apps/app-1/batch_events",
                        body.append("]}").toString()).credentials("key-1", "secret-1").send();
                assertThat(r.status()).as("%s", r).isEqualTo(200);
            }
            int total = batches * perBatch;
            // the Pusher subscriber was not slowed down by the console: it has every event
            int delivered = 0;
            while (delivered < total && sub.next(10_000) != null) {
                delivered++;
            }
            assertThat(delivered).isEqualTo(total);

            slow.resume();
            int lines = 0;
            long dropped = 0;
            String m;
            while ((m = slow.next(3_000)) != null) {
                JsonNode n = RawClient.json().readTree(m);
                switch (n.get("type").asText()) {
                    case "server_event" -> lines++;
                    case "dropped" -> dropped += n.get("count").asLong();
                    default -> { }
                }
            }
            System.out.printf("slow console: %d of %d events shown, %d reported dropped%n", lines, total, dropped);
            assertThat(dropped).as("events dropped for the slow console").isPositive();
            assertThat(lines + dropped).as("every event is either shown or counted as dropped").isEqualTo(total);
            assertThat(lines).as("shown").isLessThan(total);
        }
    }
}
