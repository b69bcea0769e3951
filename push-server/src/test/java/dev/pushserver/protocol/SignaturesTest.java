package dev.pushserver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** HMAC with a per-thread Mac that keeps its key between calls, and the constant-time hex comparison. */
class SignaturesTest {

    private static String jdkHmac(String secret, String message) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return Signatures.hex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void alternatingSecretsOnOneThreadEachGetTheirOwnKey() throws Exception {
        for (int i = 0; i < 5; i++) {
            for (String secret : new String[] {"secret-a", "secret-b", "secret-b", "é-secret", "secret-a"}) {
                String message = "POST\n/apps/1/events\nauth_key=k&n=" + i;
                assertThat(Signatures.hmacSha256Hex(secret, message)).isEqualTo(jdkHmac(secret, message));
            }
        }
    }

    @Test
    void hexComparisonIgnoresTheSuppliedCaseOnlyAndNeedsTheSameLength() {
        String expected = "0af3";
        assertThat(Signatures.hexEquals(expected, "0af3")).isTrue();
        assertThat(Signatures.hexEquals(expected, "0AF3")).isTrue();
        assertThat(Signatures.hexEquals(expected, "0af4")).isFalse();
        assertThat(Signatures.hexEquals(expected, "0af")).isFalse();
        assertThat(Signatures.hexEquals(expected, "0af30")).isFalse();
        assertThat(Signatures.hexEquals(expected, null)).isFalse();
        assertThat(Signatures.hexEquals(expected, "")).isFalse();
        assertThat(Signatures.hexEquals(expected, "0af\u0133")).isFalse();
    }
}
