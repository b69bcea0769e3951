package dev.pushserver.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.rest.data.Result;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Channel queries (reference §4.5): channel list, one channel, presence users. A fresh server per test. */
class ChannelQueryApiTest {

    @RegisterExtension
    final TestServer server = TestServer.perTest(TestServer.DEFAULT_APPS);
    com.pusher.rest.Pusher sdk;

    @BeforeEach
    void connectSdk() {
        sdk = server.httpClient("app-1", "key-1", "secret-1");
    }

    static JsonNode json(String s) throws Exception {
        return SignedRequest.JSON.readTree(s);
    }

    SignedRequest.Response get(String path, String... params) {
        SignedRequest r = SignedRequest.get(server.apiPort(), "/apps/app-1" + path);
        for (int i = 0; i < params.length; i += 2) {
            r.param(params[i], params[i + 1]);
        }
        return r.send();
    }

    JsonNode sdkGet(String path, Map<String, String> params) throws Exception {
        Result r = sdk.get(path, params);
        assertThat(r.getStatus()).as("%s %s", r.getHttpStatus(), r.getMessage()).isEqualTo(Result.Status.SUCCESS);
        assertThat(r.getHttpStatus()).isEqualTo(200);
        return json(r.getMessage());
    }

    @Test
    void noOccupiedChannelsIsAnEmptyObject() throws Exception {
        assertThat(sdkGet("/channels", Map.of())).isEqualTo(json("{\"channels\":{}}"));
        SignedRequest.Response raw = get("/channels");
        assertThat(raw.status()).isEqualTo(200);
        assertThat(raw.body().replace(" ", "")).isEqualTo("{\"channels\":{}}");
        assertThat(raw.contentType()).startsWith("application/json");
        assertThat(sdkGet("/channels", Map.of("filter_by_prefix", "presence-", "info", "user_count")))
                .isEqualTo(json("{\"channels\":{}}"));
    }

    @Test
    void listsOnlyOccupiedChannels() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("q-a").subscribe("private-q-b")
                .subscribe("presence-q-c", "1").subscribe("q-d");
                Subscriber gone = Subscriber.connect(server).subscribe("q-gone").subscribe("q-a")) {
            assertThat(sdkGet("/channels", Map.of())).isEqualTo(json("{\"channels\":{\"q-a\":{},"
                    + "\"private-q-b\":{},\"presence-q-c\":{},\"q-d\":{},\"q-gone\":{}}}"));
            a.unsubscribe("q-d");
            gone.close();
            JsonNode expected = json("{\"channels\":{\"q-a\":{},\"private-q-b\":{},\"presence-q-c\":{}}}");
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> get("/channels").json().equals(expected));
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> get("/channels").json().equals(json("{\"channels\":{}}")));
    }

    @Test
    void filterByPrefixAndUserCount() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("presence-q-room1", "u1")
                .subscribe("presence-q-room2", "u1").subscribe("private-q-x").subscribe("q-pub");
                Subscriber b = Subscriber.connect(server).subscribe("presence-q-room1", "u2");
                Subscriber b2 = Subscriber.connect(server).subscribe("presence-q-room1", "u2")) {
            assertThat(sdkGet("/channels", Map.of("filter_by_prefix", "private-")))
                    .isEqualTo(json("{\"channels\":{\"private-q-x\":{}}}"));
            assertThat(sdkGet("/channels", Map.of("filter_by_prefix", "presence-")))
                    .isEqualTo(json("{\"channels\":{\"presence-q-room1\":{},\"presence-q-room2\":{}}}"));
            assertThat(sdkGet("/channels", Map.of("filter_by_prefix", "presence-", "info", "user_count")))
                    .isEqualTo(json("{\"channels\":{\"presence-q-room1\":{\"user_count\":2},"
                            + "\"presence-q-room2\":{\"user_count\":1}}}"));
            assertThat(sdkGet("/channels", Map.of("filter_by_prefix", "presence-q-room2", "info", "user_count")))
                    .isEqualTo(json("{\"channels\":{\"presence-q-room2\":{\"user_count\":1}}}"));
            assertThat(sdkGet("/channels", Map.of("filter_by_prefix", "nothing-")))
                    .isEqualTo(json("{\"channels\":{}}"));
        }
    }

    @Test
    void userCountWithoutPresencePrefixIs400() {
        for (String[] params : List.of(new String[] {"info", "user_count"},
                new String[] {"info", "user_count", "filter_by_prefix", "private-"},
                new String[] {"info", "user_count", "filter_by_prefix", ""})) {
            SignedRequest.Response r = get("/channels", params);
            assertThat(r.status()).as("%s for %s", r, List.of(params)).isEqualTo(400);
            assertThat(r.error()).contains("presence");
        }
    }

    @Test
    void oneChannelOccupiedAndCounts() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("q-one").subscribe("presence-q-one", "1")
                .subscribe("private-q-one");
                Subscriber b = Subscriber.connect(server).subscribe("q-one").subscribe("presence-q-one", "2");
                Subscriber c = Subscriber.connect(server).subscribe("presence-q-one", "2")) {
            assertThat(sdkGet("/channels/q-one", Map.of())).isEqualTo(json("{\"occupied\":true}"));
            assertThat(sdkGet("/channels/q-one", Map.of("info", "subscription_count")))
                    .isEqualTo(json("{\"occupied\":true,\"subscription_count\":2}"));
            assertThat(sdkGet("/channels/private-q-one", Map.of("info", "subscription_count")))
                    .isEqualTo(json("{\"occupied\":true,\"subscription_count\":1}"));
            assertThat(sdkGet("/channels/presence-q-one", Map.of("info", "user_count")))
                    .isEqualTo(json("{\"occupied\":true,\"user_count\":2}"));
            // both at once, as Laravel's tools ask: users are distinct, subscriptions are connections (reference §4.5)
            assertThat(sdkGet("/channels/presence-q-one", Map.of("info", "subscription_count,user_count")))
                    .isEqualTo(json("{\"occupied\":true,\"user_count\":2,\"subscription_count\":3}"));
            JsonNode empty = sdkGet("/channels/q-nobody", Map.of());
            assertThat(empty).isEqualTo(json("{\"occupied\":false}"));
            JsonNode emptyCount = sdkGet("/channels/q-nobody", Map.of("info", "subscription_count"));
            assertThat(emptyCount.get("occupied").asBoolean(true)).isFalse();
            assertThat(emptyCount.path("subscription_count").asInt(0)).isZero();
            JsonNode emptyPresence = sdkGet("/channels/presence-q-nobody", Map.of("info", "user_count"));
            assertThat(emptyPresence.get("occupied").asBoolean(true)).isFalse();
            assertThat(emptyPresence.path("user_count").asInt(0)).isZero();
        }
    }

    @Test
    void occupiedTurnsFalseWhenTheLastSubscriberLeaves() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("q-leave")) {
            assertThat(get("/channels/q-leave").json().get("occupied").asBoolean()).isTrue();
            a.unsubscribe("q-leave");
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !get("/channels/q-leave").json().get("occupied").asBoolean());
        }
    }

    @Test
    void attributeOfTheWrongChannelTypeIs400() {
        String[][] cases = {
            {"/channels/q-pub", "user_count"},
            {"/channels/private-q-priv", "user_count"},
        };
        for (String[] c : cases) {
            SignedRequest.Response r = get(c[0], "info", c[1]);
            assertThat(r.status()).as("%s for %s?info=%s", r, c[0], c[1]).isEqualTo(400);
            assertThat(r.error()).contains(c[1]);
        }
    }

    @Test
    void cacheAttributeOnlyForCacheChannels() throws Exception {
        assertThat(sdkGet("/channels/cache-q", Map.of("info", "cache")))
                .isEqualTo(json("{\"occupied\":false,\"cache\":null}"));
        SignedRequest.Response t = ApiSupport.trigger(server.apiPort(),
                ApiSupport.single("ev", "cache-q", "{\"v\":1}").toString());
        assertThat(t.status()).as("%s", t).isEqualTo(200);
        JsonNode cached = sdkGet("/channels/cache-q", Map.of("info", "cache"));
        assertThat(cached.get("occupied").asBoolean()).isFalse();
        assertThat(cached.path("cache").path("data").asText()).isEqualTo("{\"v\":1}");
        assertThat(cached.path("cache").path("ttl").asInt()).isBetween(1, 1800);
        try (Subscriber s = Subscriber.connect(server).subscribe("cache-q")) {
            JsonNode both = sdkGet("/channels/cache-q", Map.of("info", "cache,subscription_count"));
            assertThat(both.get("occupied").asBoolean()).isTrue();
            assertThat(both.get("subscription_count").asInt()).isEqualTo(1);
            assertThat(both.path("cache").path("data").asText()).isEqualTo("{\"v\":1}");
        }
        SignedRequest.Response notCache = get("/channels/q-pub", "info", "cache");
        assertThat(notCache.status()).as("%s", notCache).isEqualTo(400);
        assertThat(notCache.error()).contains("cache");
    }

    @Test
    void presenceUsersAreDistinct() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("presence-q-users", "1");
                Subscriber a2 = Subscriber.connect(server).subscribe("presence-q-users", "1");
                Subscriber b = Subscriber.connect(server).subscribe("presence-q-users", "2")) {
            JsonNode users = sdkGet("/channels/presence-q-users/users", Map.of());
            assertThat(users.size()).as("only a users field: %s", users).isEqualTo(1);
            List<String> ids = new ArrayList<>();
            users.get("users").forEach(u -> {
                assertThat(u.size()).as("user entry %s", u).isEqualTo(1);
                assertThat(u.get("id").isTextual()).isTrue();
                ids.add(u.get("id").asText());
            });
            assertThat(ids).containsExactlyInAnyOrder("1", "2");
            b.close();
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> get("/channels/presence-q-users/users").json()
                            .equals(json("{\"users\":[{\"id\":\"1\"}]}")));
        }
        // the server sees the closes asynchronously
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> get("/channels/presence-q-users/users").json().equals(json("{\"users\":[]}")));
    }

    @Test
    void numericUserIdsAreListedAsStrings() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("presence-q-numeric", 10);
                Subscriber b = Subscriber.connect(server).subscribe("presence-q-numeric", "10");
                Subscriber c = Subscriber.connect(server).subscribe("presence-q-numeric", 42)) {
            JsonNode users = sdkGet("/channels/presence-q-numeric/users", Map.of());
            List<String> ids = new ArrayList<>();
            users.get("users").forEach(u -> {
                assertThat(u.get("id").isTextual()).as("id is a string: %s", u).isTrue();
                ids.add(u.get("id").asText());
            });
            assertThat(ids).containsExactlyInAnyOrder("10", "42");
            assertThat(sdkGet("/channels/presence-q-numeric", Map.of("info", "user_count")))
                    .isEqualTo(json("{\"occupied\":true,\"user_count\":2}"));
        }
    }

    @Test
    void usersOfANonPresenceChannelIs400() {
        for (String ch : List.of("q-pub", "private-q-priv", "private-encrypted-q-enc")) {
            SignedRequest.Response r = get("/channels/" + ch + "/users");
            assertThat(r.status()).as("%s for %s", r, ch).isEqualTo(400);
            assertThat(r.error()).containsIgnoringCase("presence");
        }
    }

    @Test
    void urlEncodedChannelNamesWork() throws Exception {
        String name = "presence-a@b=c,d;e.f-g_h";
        String encoded = "presence-a%40b%3Dc%2Cd%3Be.f-g_h";
        try (Subscriber a = Subscriber.connect(server).subscribe(name, "u-1");
                Subscriber b = Subscriber.connect(server).subscribe("pub@x=y,z;w")) {
            SignedRequest.Response one = SignedRequest.get(server.apiPort(), "/apps/app-1/channels/" + name)
                    .urlPath("/apps/app-1/channels/" + encoded).param("info", "user_count").send();
            assertThat(one.status()).as("%s", one).isEqualTo(200);
            assertThat(one.json()).isEqualTo(json("{\"occupied\":true,\"user_count\":1}"));
            SignedRequest.Response users = SignedRequest.get(server.apiPort(), "/apps/app-1/channels/" + name
                    + "/users").urlPath("/apps/app-1/channels/" + encoded + "/users").send();
            assertThat(users.status()).as("%s", users).isEqualTo(200);
            assertThat(users.json()).isEqualTo(json("{\"users\":[{\"id\":\"u-1\"}]}"));
            // the SDK builds the URL itself
            assertThat(sdkGet("/channels/" + name, Map.of("info", "user_count")))
                    .isEqualTo(json("{\"occupied\":true,\"user_count\":1}"));
            assertThat(sdkGet("/channels/pub@x=y,z;w", Map.of()))
                    .isEqualTo(json("{\"occupied\":true}"));
            assertThat(sdkGet("/channels", Map.of("filter_by_prefix", "presence-a@b=", "info", "user_count")))
                    .isEqualTo(json("{\"channels\":{\"" + name + "\":{\"user_count\":1}}}"));
        }
    }

    @Test
    void invalidChannelNameInPathIs400() {
        SignedRequest.Response r = SignedRequest.get(server.apiPort(), "/apps/app-1/channels/bad name")
                .urlPath("/apps/app-1/channels/bad%20name").send();
        assertThat(r.status()).as("%s", r).isEqualTo(400);
        r.error();
        SignedRequest.Response tooLong = get("/channels/" + "c".repeat(201));
        assertThat(tooLong.status()).as("%s", tooLong).isEqualTo(400);
        tooLong.error();
    }

    @Test
    void channelListsArePerApp() throws Exception {
        try (Subscriber a = Subscriber.connect(server).subscribe("q-app1-only").subscribe("presence-q-shared", "1");
                Subscriber b = Subscriber.connect(server, "app-2", "key-2", "secret-2").subscribe("q-app2-only")) {
            assertThat(sdkGet("/channels", Map.of())).isEqualTo(json("{\"channels\":{\"q-app1-only\":{},"
                    + "\"presence-q-shared\":{}}}"));
            try (com.pusher.rest.Pusher sdk2 = server.httpClient("app-2", "key-2", "secret-2")) {
                Result r = sdk2.get("/channels", Map.of());
                assertThat(r.getStatus()).isEqualTo(Result.Status.SUCCESS);
                assertThat(json(r.getMessage())).isEqualTo(json("{\"channels\":{\"q-app2-only\":{}}}"));
                Result one = sdk2.get("/channels/q-app1-only", Map.of());
                assertThat(json(one.getMessage())).isEqualTo(json("{\"occupied\":false}"));
                Result users = sdk2.get("/channels/presence-q-shared/users", Map.of());
                assertThat(json(users.getMessage())).isEqualTo(json("{\"users\":[]}"));
            }
        }
    }
}
