package dev.pushserver.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signatures of the Pusher protocol, computed with plain JDK crypto independently of the server's code
 * (reference §3.1 for channel auth and signin, §4.2 for HTTP API requests).
 */
public final class Signing {

    private Signing() {
    }

    /** Lowercase hex HMAC-SHA256 of {@code message} under {@code secret}. */
    public static String hmacSha256Hex(String secret, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lowercase hex MD5 (the {@code body_md5} of an HTTP API request). */
    public static String md5Hex(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Channel auth token {@code key:hmac(socket_id:channel)}. */
    public static String channelAuth(String key, String secret, String socketId, String channel) {
        return key + ":" + hmacSha256Hex(secret, socketId + ":" + channel);
    }

    /**
     * Channel auth token {@code key:hmac(socket_id:channel:channel_data)} over the exact channel_data string; with
     * {@code channelData} null the same as {@link #channelAuth(String, String, String, String)}.
     */
    public static String channelAuth(String key, String secret, String socketId, String channel, String channelData) {
        return channelData == null ? channelAuth(key, secret, socketId, channel)
                : key + ":" + hmacSha256Hex(secret, socketId + ":" + channel + ":" + channelData);
    }

    /** Signin auth token {@code key:hmac(socket_id::user::user_data)}. */
    public static String userAuth(String key, String secret, String socketId, String userData) {
        return key + ":" + hmacSha256Hex(secret, socketId + "::user::" + userData);
    }
}
