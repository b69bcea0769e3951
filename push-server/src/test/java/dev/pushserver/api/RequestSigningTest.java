package dev.pushserver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pushserver.app.App;
import dev.pushserver.config.AppConfig;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.protocol.Signatures;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.Signing;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Signature vectors of reference §3.1 and §4.2 against {@code protocol.Signatures}, and the request verifier
 * ({@code RequestSigning.verify}) on the documented worked example, with a fixed clock for the ±600 s window.
 */
class RequestSigningTest {

    static final String SECRET = "7ad3773142a6692b25b8";
    static final String KEY = "278d425bdf160c739803";
    static final String BODY = "{\"name\":\"foo\",\"channels\":[\"project-3\"],\"data\":\"{\\\"some\\\":\\\"data\\\"}\"}";
    static final String BODY_MD5 = "ec365a775a4cd0599faeb73354201b6f";
    static final String POST_SIGNATURE = "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c";
    static final long TS = 1353088179L;

    // ---- vectors --------------------------------------------------------------------------------------------

    @Test
    void bodyMd5OfTheWorkedExample() {
        assertThat(Signatures.md5Hex(BODY.getBytes(StandardCharsets.UTF_8))).isEqualTo(BODY_MD5);
    }

    @Test
    void restPostWorkedExample() {
        String toSign = "POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179"
                + "&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f";
        assertThat(Signatures.hmacSha256Hex(SECRET, toSign)).isEqualTo(POST_SIGNATURE);
        // the tests' own signer builds the same string from unsorted parameters
        Map<String, String> q = new LinkedHashMap<>();
        q.put("body_md5", BODY_MD5);
        q.put("auth_version", "1.0");
        q.put("auth_key", KEY);
        q.put("auth_timestamp", Long.toString(TS));
        assertThat(SignedRequest.stringToSign("POST", "/apps/3/events", q)).isEqualTo(toSign);
        assertThat(Signing.hmacSha256Hex(SECRET, toSign)).isEqualTo(POST_SIGNATURE);
    }

    @Test
    void restGetVector() {
        String toSign = "GET\n/apps/3/channels\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179"
                + "&auth_version=1.0&filter_by_prefix=presence-&info=user_count";
        assertThat(Signatures.hmacSha256Hex(SECRET, toSign))
                .isEqualTo("16819168891cb5dfd72b5c7a5d3d602605b26c6ba1930033b5e2eeeb65010291");
    }

    @Test
    void channelAuthVectors() {
        assertThat(Signatures.hmacSha256Hex(SECRET, "1234.1234:private-foobar"))
                .isEqualTo("58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
        assertThat(Signatures.hmacSha256Hex(SECRET, "1234.1234::user::{\"id\":\"12345\"}"))
                .isEqualTo("4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba");
        assertThat(Signatures.hmacSha256Hex(SECRET,
                "1234.1234:presence-foobar:{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Channels\"}}"))
                .isEqualTo("31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80");
    }

    @Test
    void authTokenCheckAcceptsTheVectorAndRejectsWrongKeyOrSignature() {
        String sig = "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
        assertThat(Signatures.checkAuthToken(KEY, SECRET, "1234.1234:private-foobar", KEY + ":" + sig)).isNull();
        assertThat(Signatures.checkAuthToken(KEY, SECRET, "1234.1234:private-foobar", "other:" + sig))
                .contains("Invalid key");
        assertThat(Signatures.checkAuthToken(KEY, SECRET, "1234.1234:private-foobaz", KEY + ":" + sig))
                .contains("Invalid signature");
    }

    @Test
    void hexCompareIsCaseInsensitiveAndExact() {
        assertThat(Signatures.hexEquals(POST_SIGNATURE, POST_SIGNATURE.toUpperCase())).isTrue();
        assertThat(Signatures.hexEquals(POST_SIGNATURE, POST_SIGNATURE.substring(1))).isFalse();
        assertThat(Signatures.hexEquals(POST_SIGNATURE, POST_SIGNATURE.replace('d', 'e'))).isFalse();
        assertThat(Signatures.hexEquals(POST_SIGNATURE, null)).isFalse();
    }

    // ---- the verifier on the worked example ---------------------------------------------------------------------

    private static App app3() {
        AppConfig cfg = ConfigLoader.fromYaml("apps:\n  - id: '3'\n    key: " + KEY + "\n    secret: " + SECRET
                + "\n", Map.of()).apps().get(0);
        return new App(cfg);
    }

    private static Map<String, List<String>> query(String... kv) {
        Map<String, List<String>> q = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            q.put(kv[i], List.of(kv[i + 1]));
        }
        return q;
    }

    private static Map<String, List<String>> workedQuery(String signature) {
        return query("auth_key", KEY, "auth_timestamp", Long.toString(TS), "auth_version", "1.0",
                "body_md5", BODY_MD5, "auth_signature", signature);
    }

    private static void verify(Map<String, List<String>> q, String body, long now) {
        RequestSigning.verify(app3(), "POST", "/apps/3/events", q, body.getBytes(StandardCharsets.UTF_8), now);
    }

    private static void assertUnauthorized(Runnable r, String messagePart) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.getMessage()).containsIgnoringCase(messagePart);
        });
    }

    @Test
    void verifierAcceptsTheWorkedExample() {
        assertThatCode(() -> verify(workedQuery(POST_SIGNATURE), BODY, TS)).doesNotThrowAnyException();
        assertThatCode(() -> verify(workedQuery(POST_SIGNATURE.toUpperCase()), BODY, TS))
                .doesNotThrowAnyException();
    }

    @Test
    void timestampWindowIsSixHundredSecondsInEitherDirection() {
        assertThatCode(() -> verify(workedQuery(POST_SIGNATURE), BODY, TS + 600)).doesNotThrowAnyException();
        assertThatCode(() -> verify(workedQuery(POST_SIGNATURE), BODY, TS - 600)).doesNotThrowAnyException();
        assertUnauthorized(() -> verify(workedQuery(POST_SIGNATURE), BODY, TS + 601), "timestamp");
        assertUnauthorized(() -> verify(workedQuery(POST_SIGNATURE), BODY, TS - 601), "timestamp");
    }

    @Test
    void verifierRejectsEachWrongPart() {
        assertUnauthorized(() -> verify(workedQuery(POST_SIGNATURE.replace('a', 'b')), BODY, TS), "signature");
        assertUnauthorized(() -> verify(workedQuery(POST_SIGNATURE), BODY.replace("foo", "fob"), TS), "body_md5");
        Map<String, List<String>> noMd5 = workedQuery(POST_SIGNATURE);
        noMd5.remove("body_md5");
        assertUnauthorized(() -> verify(noMd5, BODY, TS), "body_md5");
        Map<String, List<String>> wrongKey = workedQuery(POST_SIGNATURE);
        wrongKey.put("auth_key", List.of("someone-else"));
        assertUnauthorized(() -> verify(wrongKey, BODY, TS), "auth_key");
        Map<String, List<String>> v2 = workedQuery(POST_SIGNATURE);
        v2.put("auth_version", List.of("2.0"));
        assertUnauthorized(() -> verify(v2, BODY, TS), "auth_version");
        Map<String, List<String>> noSig = workedQuery(POST_SIGNATURE);
        noSig.remove("auth_signature");
        assertUnauthorized(() -> verify(noSig, BODY, TS), "signature");
        // the path is part of the signed string
        assertUnauthorized(() -> RequestSigning.verify(app3(), "POST", "/apps/3/batch_events",
                workedQuery(POST_SIGNATURE), BODY.getBytes(StandardCharsets.UTF_8), TS), "signature");
        // and so is the method
        assertUnauthorized(() -> RequestSigning.verify(app3(), "PUT", "/apps/3/events",
                workedQuery(POST_SIGNATURE), BODY.getBytes(StandardCharsets.UTF_8), TS), "signature");
    }

    @Test
    void getVectorVerifiesWithDecodedQueryValues() {
        Map<String, List<String>> q = query("auth_key", KEY, "auth_timestamp", Long.toString(TS),
                "auth_version", "1.0", "filter_by_prefix", "presence-", "info", "user_count",
                "auth_signature", "16819168891cb5dfd72b5c7a5d3d602605b26c6ba1930033b5e2eeeb65010291");
        assertThatCode(() -> RequestSigning.verify(app3(), "GET", "/apps/3/channels", q, new byte[0], TS))
                .doesNotThrowAnyException();
        // a GET without a body needs no body_md5, but an extra parameter changes the signed string
        q.put("extra", List.of("1"));
        assertUnauthorized(() -> RequestSigning.verify(app3(), "GET", "/apps/3/channels", q, new byte[0], TS),
                "signature");
    }
}
