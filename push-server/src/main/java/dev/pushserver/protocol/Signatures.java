package dev.pushserver.protocol;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 and MD5 in lowercase hex, and constant-time comparison. */
public final class Signatures {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Signatures() {
    }

    /**
     * One HmacSHA256 per thread (provider look-ups cost more than the hashing itself; event loops are few), keyed with
     * the secret it last used: most requests are for the same app, and re-keying costs two extra hash blocks.
     */
    private static final class KeyedMac {
        final Mac mac;
        String secret;

        KeyedMac() {
            try {
                mac = Mac.getInstance("HmacSHA256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("HmacSHA256 unavailable", e);
            }
        }

        Mac keyed(String key) {
            if (!key.equals(secret)) {
                try {
                    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                } catch (InvalidKeyException e) {
                    throw new IllegalStateException("HmacSHA256 rejected the key", e);
                }
                secret = key;
            }
            return mac;
        }
    }

    private static final ThreadLocal<KeyedMac> HMAC = ThreadLocal.withInitial(KeyedMac::new);
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 unavailable", e);
        }
    });

    public static String hmacSha256Hex(String secret, String message) {
        return hmacSha256Hex(secret, message.getBytes(StandardCharsets.UTF_8));
    }

    /** Over exact bytes (a webhook body is signed as sent). */
    public static String hmacSha256Hex(String secret, byte[] message) {
        // doFinal leaves the Mac reset and still keyed for the next message
        return hex(HMAC.get().keyed(secret).doFinal(message));
    }

    public static String md5Hex(byte[] body) {
        return hex(MD5.get().digest(body));
    }

    public static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[bytes[i] & 0xf];
        }
        return new String(out);
    }

    /**
     * Compares an expected lowercase hex digest with a supplied one in time independent of where they differ;
     * the supplied value is lower-cased first (SDKs send lowercase, some proxies or tools do not).
     */
    public static boolean hexEquals(String expected, String supplied) {
        if (supplied == null || supplied.length() != expected.length()) {
            return false; // the length of a digest is no secret
        }
        int diff = 0;
        for (int i = 0; i < expected.length(); i++) {
            char c = supplied.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            diff |= expected.charAt(i) ^ c;
        }
        return diff == 0;
    }

    /**
     * Checks a {@code <key>:<hex signature>} token. Returns null when valid, otherwise the error message Pusher
     * clients know ("Invalid key in subscription auth data" / "Invalid signature: Expected HMAC SHA256 hex digest
     * of ...").
     */
    public static String checkAuthToken(String appKey, String secret, String signed, String token) {
        if (token == null || token.isEmpty()) {
            return "Missing auth: a signed 'auth' value is required for this channel";
        }
        int colon = token.indexOf(':');
        String key = colon < 0 ? token : token.substring(0, colon);
        if (colon < 0 || !MessageDigest.isEqual(key.getBytes(StandardCharsets.UTF_8),
                appKey.getBytes(StandardCharsets.UTF_8))) {
            return "Invalid key in subscription auth data: '" + key + "'";
        }
        String signature = token.substring(colon + 1);
        if (!hexEquals(hmacSha256Hex(secret, signed), signature)) {
            return "Invalid signature: Expected HMAC SHA256 hex digest of " + signed + ", but got " + signature;
        }
        return null;
    }
}
