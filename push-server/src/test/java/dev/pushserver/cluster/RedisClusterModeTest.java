package dev.pushserver.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.RedisCluster;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * Cluster mode on a real Redis Cluster (three masters, Lettuce's cluster client, sharded pub/sub): two nodes share
 * presence, counts and events, as on a single Redis.
 */
class RedisClusterModeTest {

    private static final String KEY = "key-1";
    private static final String SECRET = "secret-1";

    private static String yaml(String redisUrl) {
        return "apps:\n  - id: app-1\n    key: " + KEY + "\n    secret: " + SECRET + "\n"
                + "    enable_client_messages: true\n"
                + "redis_url: " + redisUrl + "\nredis_cluster: true\nnode_timeout: 3\nwebhook_workers: 0\n";
    }

    private static String presence(RawClient c, String user) throws Exception {
        String data = "{\"user_id\":\"" + user + "\"}";
        c.send(Messages.subscribePresence(KEY, SECRET, c.socketId(), "presence-room", data));
        return c.nextEvent("pusher_internal:subscription_succeeded").get("data").asText();
    }

    @Test
    void twoNodesOnARedisClusterShareMembersCountsAndEvents() throws Exception {
        try (RedisCluster redis = RedisCluster.start();
                TestServer a = TestServer.start(yaml(redis.url()));
                TestServer b = TestServer.start(yaml(redis.url()));
                RawClient alice = RawClient.connect(a.wsUrl(KEY));
                RawClient bob = RawClient.connect(b.wsUrl(KEY))) {
            presence(alice, "alice");
            String roster = presence(bob, "bob");
            assertThat(roster).contains("\"alice\"").contains("\"bob\"");
            JsonNode added = alice.nextEvent("pusher_internal:member_added");
            assertThat(added.get("data").asText()).contains("\"bob\"");

            // a trigger on node A reaches the subscriber on node B once; a client event from B reaches A
            SignedRequest.Response r = SignedRequest.post(a.apiPort(), "/apps/app-1/events",
                    "{\"name\":\"hello\",\"channel\":\"presence-room\",\"data\":\"{}\"}").credentials(KEY, SECRET)
                    .send();
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(bob.nextEvent("hello")).isNotNull();
            bob.send(Messages.clientEvent("client-x", "presence-room", "{\"n\":1}"));
            assertThat(alice.nextEvent("client-x").get("user_id").asText()).isEqualTo("bob");

            SignedRequest.Response counts = SignedRequest.get(b.apiPort(), "/apps/app-1/channels/presence-room")
                    .param("info", "user_count,subscription_count").credentials(KEY, SECRET).send();
            assertThat(counts.json().get("user_count").asInt()).isEqualTo(2);
            assertThat(counts.json().get("subscription_count").asInt()).isEqualTo(2);

            bob.close();
            JsonNode removed = alice.nextEvent("pusher_internal:member_removed");
            assertThat(removed.get("data").asText()).contains("\"bob\"");
        }
    }
}
