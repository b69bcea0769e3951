package dev.pushserver.api;

import dev.pushserver.app.App;
import dev.pushserver.protocol.Signatures;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Verifies HTTP API request signatures exactly as reference §4.2: key, version, timestamp within the window, body
 * MD5, then the HMAC over {@code METHOD\n/apps/...\nsorted decoded query}, compared in constant time.
 */
final class RequestSigning {

    static final long TIMESTAMP_WINDOW_SECONDS = 600;

    private RequestSigning() {
    }

    /**
     * @param signedPath the percent-decoded path starting at {@code /apps/}
     * @param query      decoded query parameters (repeated keys keep every value)
     */
    static void verify(App app, String method, String signedPath, Map<String, List<String>> query, byte[] body,
            long nowSeconds) {
        Map<String, String> params = verifyHead(app, query, nowSeconds);
        if (body.length > 0) {
            String md5 = params.get("body_md5");
            if (md5 == null) {
                throw unauthorized("Missing body_md5: requests with a body must sign its MD5");
            }
            if (!Signatures.hexEquals(Signatures.md5Hex(body), md5)) {
                throw unauthorized("Invalid body_md5: it does not match the MD5 of the request body");
            }
        }
        String signature = params.remove("auth_signature");
        StringBuilder toSign = new StringBuilder(method).append('\n').append(signedPath).append('\n');
        boolean first = true;
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!first) {
                toSign.append('&');
            }
            first = false;
            toSign.append(e.getKey()).append('=').append(e.getValue());
        }
        String expected = Signatures.hmacSha256Hex(app.secret(), toSign.toString());
        if (!Signatures.hexEquals(expected, signature)) {
            throw unauthorized("Invalid signature: you should have sent HmacSHA256Hex(\""
                    + toSign.toString().replace("\n", "\\n") + "\", your_secret_key), but you sent \""
                    + (signature == null ? "" : signature) + "\"");
        }
    }

    /**
     * The parts that need no body: key, version and timestamp, checked on the request head before a body is read.
     * Returns the lower-cased, sorted parameters.
     */
    static Map<String, String> verifyHead(App app, Map<String, List<String>> query, long nowSeconds) {
        Map<String, String> params = new TreeMap<>();
        query.forEach((k, v) -> params.merge(k.toLowerCase(Locale.ROOT), v.size() == 1 ? v.get(0)
                : String.join(",", v), (a, b) -> a + "," + b));
        String key = params.get("auth_key");
        if (key == null) {
            throw unauthorized("Missing auth_key: sign the request with your app key and secret");
        }
        if (!key.equals(app.key())) {
            throw unauthorized("Invalid auth_key '" + key + "' for app " + app.id());
        }
        String version = params.get("auth_version");
        if (!"1.0".equals(version)) {
            throw unauthorized("Invalid auth_version: expected 1.0, got " + (version == null ? "nothing" : version));
        }
        String ts = params.get("auth_timestamp");
        long timestamp;
        try {
            timestamp = Long.parseLong(ts);
        } catch (NumberFormatException | NullPointerException e) {
            throw unauthorized("Missing or invalid auth_timestamp: expected Unix seconds");
        }
        if (Math.abs(nowSeconds - timestamp) > TIMESTAMP_WINDOW_SECONDS) {
            throw unauthorized("Timestamp expired: Given timestamp (" + timestamp + ") not within "
                    + TIMESTAMP_WINDOW_SECONDS + "s of server time (" + nowSeconds + ")");
        }
        return params;
    }

    private static ApiError unauthorized(String message) {
        return new ApiError(ApiError.UNAUTHORIZED, message);
    }
}
