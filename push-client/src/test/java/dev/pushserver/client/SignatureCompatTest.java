package dev.pushserver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pusher.rest.Pusher;
import com.pusher.rest.SignatureUtil;
import com.pusher.rest.data.PresenceUser;
import com.pusher.rest.data.Validity;
import java.net.URI;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Every signature PushApi produces is byte-identical to pusher-http-java's and to the documented vectors. */
class SignatureCompatTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "278d425bdf160c739803";
    static final String SECRET = "7ad3773142a6692b25b8";
    static final String MASTER = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

    final Pusher pusher = new Pusher("3", KEY, SECRET, MASTER);
    final PushApi api = PushApi.builder().host("127.0.0.1").appId("3").key(KEY).secret(SECRET)
            .encryptionMasterKeyBase64(MASTER).build();

    @Test
    void privateChannelAuthMatchesPusherHttpJavaAndTheDocs() throws Exception {
        for (String socket : List.of("1234.1234", "1.2", "98765.43210")) {
            for (String channel : List.of("private-foobar", "private-a_b-c=d@e,f.g;h")) {
                assertThat(JSON.readTree(api.authorizeChannel(socket, channel)))
                        .isEqualTo(JSON.readTree(pusher.authenticate(socket, channel)));
            }
        }
        assertThat(JSON.readTree(api.authorizeChannel("1234.1234", "private-foobar")).get("auth").asText())
                .isEqualTo(KEY + ":58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
    }

    @Test
    void presenceAuthMatchesPusherHttpJava() throws Exception {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("name", "Mr. Channels");
        info.put("twitter", "@pusher");
        String[] sockets = {"1234.1234", "42.17"};
        for (String socket : sockets) {
            JsonNode theirs = JSON.readTree(pusher.authenticate(socket, "presence-foobar", new PresenceUser("10", info)));
            JsonNode ours = JSON.readTree(api.authorizeChannel(socket, "presence-foobar", PushApi.presenceData("10", info)));
            assertThat(ours).isEqualTo(theirs);
            // the channel_data string itself, not just its meaning, is identical
            assertThat(ours.get("channel_data").asText()).isEqualTo(theirs.get("channel_data").asText());

            JsonNode theirsNum = JSON.readTree(pusher.authenticate(socket, "presence-x", new PresenceUser(7)));
            JsonNode oursNum = JSON.readTree(api.authorizeChannel(socket, "presence-x", PushApi.presenceData(7, null)));
            assertThat(oursNum).isEqualTo(theirsNum);
        }
        // the vector from the protocol reference (user_id 10 as a number, "Mr. Channels")
        String data = "{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Channels\"}}";
        assertThat(JSON.readTree(api.authorizeChannel("1234.1234", "presence-foobar", data)).get("auth").asText())
                .isEqualTo(KEY + ":31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80");
    }

    @Test
    void encryptedChannelSharedSecretMatchesPusherHttpJava() throws Exception {
        for (String channel : List.of("private-encrypted-room", "private-encrypted-cache-x")) {
            JsonNode ours = JSON.readTree(api.authorizeChannel("1234.1234", channel));
            JsonNode theirs = JSON.readTree(pusher.authenticate("1234.1234", channel));
            assertThat(ours.get("auth")).isEqualTo(theirs.get("auth"));
            // same derivation (SHA-256 of name bytes then master key bytes) and the same 32 bytes; pusher-http-java
            // writes them without base64 padding, we pad as pusher-http-node and PHP do (strict decoders need it)
            String expected = new com.pusher.rest.crypto.CryptoUtil(MASTER).generateBase64EncodedSharedSecret(channel);
            assertThat(theirs.get("shared_secret").asText()).isEqualTo(expected);
            String shared = ours.get("shared_secret").asText();
            assertThat(shared).hasSize(44).endsWith("=");
            assertThat(Base64.getDecoder().decode(shared)).isEqualTo(Base64.getDecoder().decode(expected));
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(channel.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            sha.update(Base64.getDecoder().decode(MASTER));
            assertThat(Base64.getDecoder().decode(shared)).isEqualTo(sha.digest());
        }
        PushApi noKey = PushApi.builder().appId("3").key(KEY).secret(SECRET).build();
        assertThatThrownBy(() -> noKey.authorizeChannel("1.1", "private-encrypted-x"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void userAuthMatchesTheDocsAndPusherSigning() throws Exception {
        String userData = "{\"id\":\"12345\"}";
        JsonNode out = JSON.readTree(api.authenticateUser("1234.1234", userData));
        assertThat(out.get("auth").asText())
                .isEqualTo(KEY + ":4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba")
                .isEqualTo(KEY + ":" + SignatureUtil.sign("1234.1234::user::" + userData, SECRET));
        assertThat(out.get("user_data").asText()).isEqualTo(userData);
        // a Map is serialised once and the signature covers exactly that string
        JsonNode fromMap = JSON.readTree(api.authenticateUser("5.6", Map.of("id", "u1")));
        assertThat(fromMap.get("auth").asText()).isEqualTo(
                KEY + ":" + SignatureUtil.sign("5.6::user::" + fromMap.get("user_data").asText(), SECRET));
        assertThatThrownBy(() -> api.authenticateUser("1.1", "{\"name\":\"x\"}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> api.authenticateUser("bad", userData)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void webhookValidationAgreesWithPusherHttpJava() {
        String body = "{\"time_ms\":1327078148132,\"events\":[{\"name\":\"channel_occupied\",\"channel\":\"test_channel\"}]}";
        String sig = "709fdb84c03664445f7698120b0edf0acc1ab1c8c6e93a0368c61841d6b998aa";
        assertThat(pusher.validateWebhookSignature(KEY, sig, body)).isEqualTo(Validity.VALID);
        assertThat(api.isValidWebhook(KEY, sig, body)).isTrue();
        String tampered = body.replace("test_channel", "test_channe1");
        assertThat(pusher.validateWebhookSignature(KEY, sig, tampered)).isEqualTo(Validity.INVALID);
        assertThat(api.isValidWebhook(KEY, sig, tampered)).isFalse();
        assertThat(pusher.validateWebhookSignature("other", sig, body)).isEqualTo(Validity.SIGNED_WITH_WRONG_KEY);
        assertThat(api.isValidWebhook("other", sig, body)).isFalse();
        assertThat(api.isValidWebhook(KEY, null, body)).isFalse();

        Webhook w = api.verifyWebhook(KEY, sig, body);
        assertThat(w.timeMs()).isEqualTo(1327078148132L);
        assertThat(w.events()).containsExactly(
                new Webhook.Event("channel_occupied", "test_channel", null, null, null, null, null));
        assertThatThrownBy(() -> api.verifyWebhook(KEY, sig, tampered))
                .isInstanceOfSatisfying(PushApiException.class, e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void webhookEventsAreParsedIntoTypedFields() {
        String body = "{\"time_ms\":5,\"events\":["
                + "{\"name\":\"member_added\",\"channel\":\"presence-r\",\"user_id\":\"u1\"},"
                + "{\"name\":\"client_event\",\"channel\":\"presence-r\",\"event\":\"client-typing\","
                + "\"data\":\"{\\\"a\\\":1}\",\"socket_id\":\"1.2\",\"user_id\":\"u1\"},"
                + "{\"name\":\"subscription_count\",\"channel\":\"c\",\"subscription_count\":3}]}";
        Webhook w = api.verifyWebhook(KEY, SignatureUtil.sign(body, SECRET), body);
        assertThat(w.events()).containsExactly(
                new Webhook.Event("member_added", "presence-r", "u1", null, null, null, null),
                new Webhook.Event("client_event", "presence-r", "u1", "client-typing", "{\"a\":1}", "1.2", null),
                new Webhook.Event("subscription_count", "c", null, null, null, null, 3));
    }

    @Test
    void requestSigningMatchesPusherHttpJava() {
        String body = "{\"name\":\"foo\",\"channels\":[\"project-3\"],\"data\":\"{\\\"some\\\":\\\"data\\\"}\"}";
        URI theirs = pusher.signedUri("POST", "/events", body);
        Map<String, String> tq = PushApi.decodeQuery(theirs.getRawQuery());
        long ts = Long.parseLong(tq.get("auth_timestamp"));
        Map<String, String> ours = PushApi.decodeQuery(
                PushApi.signedQuery("POST", theirs.getPath(), Map.of(), body, KEY, SECRET, ts));
        assertThat(ours).isEqualTo(new TreeMap<>(tq));

        Map<String, String> params = Map.of("filter_by_prefix", "presence-", "info", "user_count,subscription_count");
        URI theirsGet = pusher.signedUri("GET", "/channels", null, params);
        Map<String, String> tg = PushApi.decodeQuery(theirsGet.getRawQuery());
        Map<String, String> og = PushApi.decodeQuery(PushApi.signedQuery("GET", theirsGet.getPath(), params, null,
                KEY, SECRET, Long.parseLong(tg.get("auth_timestamp"))));
        assertThat(og).isEqualTo(new TreeMap<>(tg)).doesNotContainKey("body_md5");
    }

    @Test
    void requestSigningMatchesTheDocumentedVectors() {
        String body = "{\"name\":\"foo\",\"channels\":[\"project-3\"],\"data\":\"{\\\"some\\\":\\\"data\\\"}\"}";
        Map<String, String> q = PushApi.decodeQuery(
                PushApi.signedQuery("POST", "/apps/3/events", Map.of(), body, KEY, SECRET, 1353088179));
        assertThat(q).containsEntry("body_md5", "ec365a775a4cd0599faeb73354201b6f")
                .containsEntry("auth_signature", "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c");
        Map<String, String> g = PushApi.decodeQuery(PushApi.signedQuery("GET", "/apps/3/channels",
                Map.of("filter_by_prefix", "presence-", "info", "user_count"), null, KEY, SECRET, 1353088179));
        assertThat(g).containsEntry("auth_signature",
                "16819168891cb5dfd72b5c7a5d3d602605b26c6ba1930033b5e2eeeb65010291");
    }

    @Test
    void builderFromUrl() {
        PushApi a = PushApi.fromUrl("https://k%40ey:s3cr3t@api.example.com:8443/apps/42");
        assertThat(a.appId()).isEqualTo("42");
        assertThat(a.key()).isEqualTo("k@ey");
        assertThatThrownBy(() -> PushApi.fromUrl("http://api.example.com/apps/42"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PushApi.fromUrl("http://k:s@api.example.com/nope"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
