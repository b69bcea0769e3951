package dev.pushserver.api;

import static dev.pushserver.api.ApiSupport.EVENTS;
import static dev.pushserver.api.ApiSupport.assertNothingDelivered;
import static dev.pushserver.api.ApiSupport.single;
import static org.assertj.core.api.Assertions.assertThat;

import com.pusher.rest.data.Result;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.Signing;
import dev.pushserver.testing.TestServer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Request signing on the wire (reference §4.2): every wrong part is a 401 with a JSON error that names it, and the
 * event is not delivered; SDK-style encoded and Node-style unencoded query values both verify; apps are isolated;
 * a disabled app gets 403.
 */
class ApiAuthTest extends SubscribedChannelFixture {

    @RegisterExtension
    static final TestServer server = TestServer.perClass(TestServer.DEFAULT_APPS);

    @Override
    TestServer server() {
        return server;
    }

    @Override
    String channelPrefix() {
        return "auth-";
    }

    static int port() {
        return server.apiPort();
    }

    SignedRequest trigger() {
        return SignedRequest.post(port(), EVENTS, single("evt", channel, "d").toString());
    }

    /** Asserts the status and a JSON error mentioning {@code part}, then that the subscriber got nothing. */
    void assertRejected(SignedRequest.Response r, int status, String part) throws Exception {
        assertThat(r.status()).as("%s", r).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.error()).containsIgnoringCase(part);
        assertNothingDelivered(port(), channel, sub);
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    @Test
    void correctlySignedRequestIsAccepted() throws Exception {
        SignedRequest.Response r = trigger().send();
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(sub.nextEvent().get("event").asText()).isEqualTo("evt");
    }

    @Test
    void badSignatureIs401() throws Exception {
        assertRejected(trigger().signature("0".repeat(64)).send(), 401, "signature");
    }

    @Test
    void signatureWithTheWrongSecretIs401() throws Exception {
        assertRejected(trigger().credentials("key-1", "not-the-secret").send(), 401, "signature");
    }

    @Test
    void uppercaseHexSignatureIsAccepted() throws Exception {
        SignedRequest req = trigger().timestamp(now());
        String sig = req.query().get("auth_signature");
        SignedRequest.Response r = req.signature(sig.toUpperCase()).send();
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(sub.nextEvent().get("event").asText()).isEqualTo("evt");
    }

    @Test
    void unknownAuthKeyIs401() throws Exception {
        assertRejected(trigger().credentials("no-such-key", "secret-1").send(), 401, "auth_key");
    }

    @Test
    void anotherAppsCredentialsCannotCallThisApp() throws Exception {
        assertRejected(trigger().credentials("key-2", "secret-2").send(), 401, "auth_key");
        // and with the SDK
        try (com.pusher.rest.Pusher other = server.httpClient("app-2", "key-2", "secret-2")) {
            Result own = other.trigger(channel, "app-2-event", Map.of("x", 1));
            assertThat(own.getStatus()).as(own.getMessage()).isEqualTo(Result.Status.SUCCESS);
        }
        // app-2's trigger on the same channel name does not reach app-1's subscriber
        assertNothingDelivered(port(), channel, sub);
    }

    @Test
    void missingAuthKeyIs401() throws Exception {
        assertRejected(trigger().omitKey().send(), 401, "auth_key");
    }

    @Test
    void missingTimestampIs401() throws Exception {
        assertRejected(trigger().omitTimestamp().send(), 401, "timestamp");
    }

    @Test
    void nonNumericTimestampIs401() throws Exception {
        SignedRequest.Response r = SignedRequest.post(port(), EVENTS, single("x", channel, "d").toString())
                .param("auth_timestamp", "yesterday").send();
        assertRejected(r, 401, "timestamp");
    }

    @Test
    void missingVersionIs401() throws Exception {
        assertRejected(trigger().omitVersion().send(), 401, "auth_version");
    }

    @Test
    void missingSignatureIs401() throws Exception {
        assertRejected(trigger().omitSignature().send(), 401, "signature");
    }

    @Test
    void authVersion2Is401() throws Exception {
        assertRejected(trigger().version("2.0").send(), 401, "auth_version");
    }

    @Test
    void timestamp601SecondsOldIs401() throws Exception {
        assertRejected(trigger().timestamp(now() - 601).send(), 401, "timestamp");
    }

    @Test
    void timestamp601SecondsInTheFutureIs401() throws Exception {
        // start early in a second so the server's clock cannot tick between signing and checking (the exact
        // ±600/601 boundary is also covered with a fixed clock in RequestSigningTest)
        awaitStartOfSecond();
        assertRejected(trigger().timestamp(now() + 601).send(), 401, "timestamp");
    }

    static void awaitStartOfSecond() throws InterruptedException {
        while (System.currentTimeMillis() % 1000 > 200) {
            Thread.sleep(10);
        }
    }

    @Test
    void timestamp590SecondsOffEitherWayIsAccepted() throws Exception {
        assertThat(trigger().timestamp(now() - 590).send().status()).isEqualTo(200);
        assertThat(trigger().timestamp(now() + 590).send().status()).isEqualTo(200);
        assertThat(sub.nextEvent().get("event").asText()).isEqualTo("evt");
        assertThat(sub.nextEvent().get("event").asText()).isEqualTo("evt");
    }

    @Test
    void wrongBodyMd5Is401() throws Exception {
        assertRejected(trigger().bodyMd5("ec365a775a4cd0599faeb73354201b6f").send(), 401, "body_md5");
    }

    @Test
    void bodyChangedAfterSigningIs401() throws Exception {
        String signedBody = single("x", channel, "d").toString();
        String md5 = Signing.md5Hex(signedBody.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        SignedRequest.Response r = SignedRequest.post(port(), EVENTS, single("tampered", channel, "d").toString())
                .bodyMd5(md5).send();
        assertRejected(r, 401, "body_md5");
    }

    @Test
    void missingBodyMd5WithABodyIs401() throws Exception {
        assertRejected(trigger().omitBodyMd5().send(), 401, "body_md5");
    }

    @Test
    void unsignedExtraParameterIs401() throws Exception {
        assertRejected(trigger().unsignedParam("socket_id", "1.1").send(), 401, "signature");
    }

    @Test
    void signatureForAnotherPathIs401() throws Exception {
        SignedRequest.Response r = SignedRequest.post(port(), "/apps/app-1/batch_events",
                single("x", channel, "d").toString()).urlPath(EVENTS).send();
        assertRejected(r, 401, "signature");
    }

    @Test
    void signatureForAnotherMethodIs401() throws Exception {
        // a GET whose signature was computed for POST: the method is part of the signed string
        SignedRequest get = SignedRequest.get(port(), "/apps/app-1/channels").timestamp(now());
        String postSignature = Signing.hmacSha256Hex("secret-1",
                SignedRequest.stringToSign("POST", "/apps/app-1/channels", withoutSignature(get)));
        SignedRequest.Response r = get.signature(postSignature).send();
        assertThat(r.status()).as("%s", r).isEqualTo(401);
        assertThat(r.error()).containsIgnoringCase("signature");
    }

    private static Map<String, String> withoutSignature(SignedRequest r) {
        Map<String, String> q = new java.util.LinkedHashMap<>(r.query());
        q.remove("auth_signature");
        return q;
    }

    @Test
    void sdkEncodedQueryValuesVerify() throws Exception {
        try (com.pusher.rest.Pusher sdk = server.httpClient("app-1", "key-1", "secret-1")) {
            // URIBuilder form-encodes: the comma in the prefix becomes %2C, a space becomes +
            Result r = sdk.get("/channels", Map.of("filter_by_prefix", "auth-, x", "extra", "a b,c+d"));
            assertThat(r.getStatus()).as("%s %s", r.getHttpStatus(), r.getMessage())
                    .isEqualTo(Result.Status.SUCCESS);
            Result presence = sdk.get("/channels", Map.of("filter_by_prefix", "presence-", "info", "user_count"));
            assertThat(presence.getStatus()).as(presence.getMessage()).isEqualTo(Result.Status.SUCCESS);
        }
    }

    @Test
    void encodedAndUnencodedQueryValuesVerify() throws Exception {
        // form-encoded (pusher-http-java, Guzzle): %2C and + for space, %2B for a literal plus
        SignedRequest.Response encoded = trigger().param("info", "user_count,subscription_count",
                "user_count%2Csubscription_count").param("note", "a b+c", "a+b%2Bc").send();
        assertThat(encoded.status()).as("%s", encoded).isEqualTo(200);
        // %20 for a space
        SignedRequest.Response pct20 = trigger().param("note", "a b", "a%20b").send();
        assertThat(pct20.status()).as("%s", pct20).isEqualTo(200);
        // raw values (pusher-http-node, PHP make_request): info=user_count,subscription_count
        SignedRequest.Response raw = trigger().param("info", "user_count,subscription_count")
                .encodeQuery(false).send();
        assertThat(raw.status()).as("%s", raw).isEqualTo(200);
        SignedRequest.Response rawGet = SignedRequest.get(port(), "/apps/app-1/channels")
                .param("filter_by_prefix", "presence-").param("info", "user_count").encodeQuery(false).send();
        assertThat(rawGet.status()).as("%s", rawGet).isEqualTo(200);
        assertThat(rawGet.json().get("channels").isObject()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(sub.nextEvent().get("event").asText()).isEqualTo("evt");
        }
    }

    @Test
    void aReverseProxyPrefixIsNotPartOfTheSignedPath() throws Exception {
        SignedRequest.Response r = trigger().urlPath("/pusher-proxy" + EVENTS).send();
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(sub.nextEvent().get("event").asText()).isEqualTo("evt");
    }

    @Test
    void sdkSeesAuthenticationErrorAndNotFound() throws Exception {
        try (com.pusher.rest.Pusher wrongSecret = server.httpClient("app-1", "key-1", "wrong-secret");
                com.pusher.rest.Pusher unknownApp = server.httpClient("app-9", "key-1", "secret-1")) {
            Result r = wrongSecret.trigger(channel, "evt", Map.of());
            assertThat(r.getHttpStatus()).isEqualTo(401);
            assertThat(r.getStatus()).isEqualTo(Result.Status.AUTHENTICATION_ERROR);
            assertThat(r.getMessage()).contains("signature");
            Result nf = unknownApp.trigger(channel, "evt", Map.of());
            assertThat(nf.getHttpStatus()).isEqualTo(404);
            assertThat(nf.getStatus()).isEqualTo(Result.Status.NOT_FOUND);
        }
        assertNothingDelivered(port(), channel, sub);
    }

    @Test
    void disabledAppIs403() throws Exception {
        try (TestServer disabled = TestServer.start("""
                apps:
                  - id: app-1
                    key: key-1
                    secret: secret-1
                  - id: app-off
                    key: key-off
                    secret: secret-off
                    enabled: false
                """)) {
            SignedRequest.Response r = SignedRequest.post(disabled.apiPort(), "/apps/app-off/events",
                    single("x", "c", "d").toString()).credentials("key-off", "secret-off").send();
            assertThat(r.status()).as("%s", r).isEqualTo(403);
            assertThat(r.error()).containsIgnoringCase("disabled");
            SignedRequest.Response q = SignedRequest.get(disabled.apiPort(), "/apps/app-off/channels")
                    .credentials("key-off", "secret-off").send();
            assertThat(q.status()).as("%s", q).isEqualTo(403);
            try (com.pusher.rest.Pusher sdk = disabled.httpClient("app-off", "key-off", "secret-off")) {
                Result sdkResult = sdk.trigger("c", "x", Map.of());
                assertThat(sdkResult.getHttpStatus()).isEqualTo(403);
            }
            // the enabled app next to it works
            SignedRequest.Response ok = SignedRequest.post(disabled.apiPort(), EVENTS,
                    single("x", "c", "d").toString()).send();
            assertThat(ok.status()).as("%s", ok).isEqualTo(200);
        }
    }
}
