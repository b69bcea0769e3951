package dev.pushserver.bench.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.InvalidKeyException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Pusher signatures: HTTP API request signing (reference §4.2) and private / presence channel auth (§3.1). Not
 * thread-safe: keep one per thread.
 */
public final class Signer {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final String appId;
    private final String key;
    private final Mac mac;
    private final MessageDigest md5;

    public Signer(String appId, String key, String secret) {
        this.appId = appId;
        this.key = key;
        try {
            this.mac = Mac.getInstance("HmacSHA256");
            this.mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            this.md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    public String appId() {
        return appId;
    }

    public String key() {
        return key;
    }

    public String hmacHex(String text) {
        return hex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code key:HMAC(socket_id:channel[:channel_data])} for a pusher:subscribe. */
    public String channelAuth(String socketId, String channel, String channelData) {
        String signed = socketId + ":" + channel + (channelData != null ? ":" + channelData : "");
        return key + ":" + hmacHex(signed);
    }

    /**
     * Returns the signed request URI (path + query) for an HTTP API call.
     *
     * @param path  e.g. {@code /apps/app-id/events}
     * @param extra extra query parameters, already sorted by key and with keys sorting after {@code body_md5} or
     *              before {@code auth_key} handled by the caller (pass null when there are none)
     */
    public String signedUri(String method, String path, byte[] body, String extraSortedQuery) {
        long ts = System.currentTimeMillis() / 1000;
        StringBuilder q = new StringBuilder(160);
        q.append("auth_key=").append(key).append("&auth_timestamp=").append(ts).append("&auth_version=1.0");
        if (body != null && body.length > 0) {
            q.append("&body_md5=").append(hex(md5.digest(body)));
        }
        if (extraSortedQuery != null && !extraSortedQuery.isEmpty()) {
            q.append('&').append(extraSortedQuery);
        }
        String sig = hmacHex(method + "\n" + path + "\n" + q);
        return path + "?" + q + "&auth_signature=" + sig;
    }

    public static String hex(byte[] b) {
        char[] out = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            out[2 * i] = HEX[(b[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[b[i] & 0xF];
        }
        return new String(out);
    }
}
