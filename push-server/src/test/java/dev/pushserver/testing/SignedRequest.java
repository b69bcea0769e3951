package dev.pushserver.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A raw HTTP API request signed exactly as reference §4.2 (with {@link Signing}) (independently of the server's code), with knobs to make
 * it wrong on purpose: another key or secret, timestamp, version, body MD5, signature, or unencoded query values.
 */
public final class SignedRequest {

    public static final ObjectMapper JSON = RawClient.json();

    /** One shared HTTP/1.1 client, so consecutive requests reuse kept-alive connections like SDKs do. */
    public static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    /** The response of a request: status, body text and headers. */
    public record Response(int status, String body, HttpHeaders headers) {

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("response body is not JSON: " + body, e);
            }
        }

        /** The {@code error} text of an error response (fails if the body is not {"error":"..."}). */
        public String error() {
            JsonNode n = json();
            if (!n.isObject() || !n.path("error").isTextual() || n.get("error").asText().isBlank()) {
                throw new AssertionError("expected {\"error\":\"...\"}, got " + body);
            }
            return n.get("error").asText();
        }

        public String contentType() {
            return headers.firstValue("content-type").orElse("");
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    private final int port;
    private final String method;
    private final String signedPath;
    private String urlPath;
    private String key;
    private String secret;
    private final Map<String, String> params = new LinkedHashMap<>();
    private byte[] body;
    private Long timestamp;
    private String version = "1.0";
    private String bodyMd5;
    private boolean omitBodyMd5;
    private boolean omitKey;
    private boolean omitTimestamp;
    private boolean omitVersion;
    private boolean omitSignature;
    private String signature;
    private boolean encodeQuery = true;
    private final Map<String, String> literal = new LinkedHashMap<>();
    private final Map<String, String> unsigned = new LinkedHashMap<>();

    private SignedRequest(int port, String method, String path) {
        this.port = port;
        this.method = method;
        this.signedPath = path;
        this.urlPath = path;
    }

    public static SignedRequest get(int port, String path) {
        return new SignedRequest(port, "GET", path);
    }

    public static SignedRequest post(int port, String path, String body) {
        return new SignedRequest(port, "POST", path).body(body);
    }

    public static SignedRequest method(int port, String method, String path) {
        return new SignedRequest(port, method, path);
    }

    /** Signs as app-1 unless {@link #credentials} says otherwise. */
    public SignedRequest credentials(String key, String secret) {
        this.key = key;
        this.secret = secret;
        return this;
    }

    public SignedRequest body(String json) {
        this.body = json == null ? null : json.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    public SignedRequest body(byte[] bytes) {
        this.body = bytes;
        return this;
    }

    /** An extra query parameter, signed with its decoded value. */
    public SignedRequest param(String name, String value) {
        params.put(name, value);
        return this;
    }

    /** A signed parameter whose value appears in the URL exactly as {@code urlForm} (e.g. {@code a+b%2Cc}). */
    public SignedRequest param(String name, String decodedValue, String urlForm) {
        params.put(name, decodedValue);
        literal.put(name, urlForm);
        return this;
    }

    /** A parameter added to the URL after signing, i.e. not covered by the signature. */
    public SignedRequest unsignedParam(String name, String value) {
        unsigned.put(name, value);
        return this;
    }

    /** The path as it appears in the URL (e.g. percent-encoded); the signature still uses the decoded path. */
    public SignedRequest urlPath(String encoded) {
        this.urlPath = encoded;
        return this;
    }

    public SignedRequest timestamp(long unixSeconds) {
        this.timestamp = unixSeconds;
        return this;
    }

    public SignedRequest version(String v) {
        this.version = v;
        return this;
    }

    public SignedRequest bodyMd5(String md5) {
        this.bodyMd5 = md5;
        return this;
    }

    public SignedRequest omitBodyMd5() {
        this.omitBodyMd5 = true;
        return this;
    }

    public SignedRequest omitKey() {
        this.omitKey = true;
        return this;
    }

    public SignedRequest omitTimestamp() {
        this.omitTimestamp = true;
        return this;
    }

    public SignedRequest omitVersion() {
        this.omitVersion = true;
        return this;
    }

    public SignedRequest omitSignature() {
        this.omitSignature = true;
        return this;
    }

    /** Sends this signature instead of the right one. */
    public SignedRequest signature(String sig) {
        this.signature = sig;
        return this;
    }

    /** false: put query values into the URL unencoded, as pusher-http-node does. */
    public SignedRequest encodeQuery(boolean encode) {
        this.encodeQuery = encode;
        return this;
    }

    /** The final, signed query parameters (auth_signature last). */
    public Map<String, String> query() {
        String k = key == null ? "key-1" : key;
        String s = secret == null ? "secret-1" : secret;
        Map<String, String> q = new LinkedHashMap<>();
        if (!omitKey) {
            q.put("auth_key", k);
        }
        if (!omitTimestamp) {
            q.put("auth_timestamp", Long.toString(timestamp != null ? timestamp : System.currentTimeMillis() / 1000));
        }
        if (!omitVersion) {
            q.put("auth_version", version);
        }
        if (body != null && body.length > 0 && !omitBodyMd5) {
            q.put("body_md5", bodyMd5 != null ? bodyMd5 : Signing.md5Hex(body));
        }
        q.putAll(params);
        String sig = signature != null ? signature : Signing.hmacSha256Hex(s, stringToSign(method, signedPath, q));
        if (!omitSignature) {
            q.put("auth_signature", sig);
        }
        return q;
    }

    public URI uri() {
        StringBuilder url = new StringBuilder("http://127.0.0.1:").append(port).append(urlPath);
        char sep = '?';
        Map<String, String> all = new LinkedHashMap<>(query());
        all.putAll(unsigned);
        for (Map.Entry<String, String> e : all.entrySet()) {
            String value = literal.containsKey(e.getKey()) ? literal.get(e.getKey())
                    : encodeQuery ? URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8) : e.getValue();
            url.append(sep).append(encodeQuery ? URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) : e.getKey())
                    .append('=').append(value);
            sep = '&';
        }
        return URI.create(url.toString());
    }

    public Response send() {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        HttpRequest req = HttpRequest.newBuilder(uri())
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .method(method, publisher)
                .build();
        try {
            HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new AssertionError("request failed: " + method + " " + urlPath + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    // ---- reference §4.2, written from the spec (not the server code) -------------------------------------------

    /** {@code METHOD\npath\nk=v&...}: keys lower-cased and sorted, values unescaped, auth_signature excluded. */
    public static String stringToSign(String method, String path, Map<String, String> params) {
        TreeMap<String, String> sorted = new TreeMap<>();
        params.forEach((k, v) -> {
            if (!k.equalsIgnoreCase("auth_signature")) {
                sorted.put(k.toLowerCase(Locale.ROOT), v);
            }
        });
        StringBuilder sb = new StringBuilder(method.toUpperCase(Locale.ROOT)).append('\n').append(path).append('\n');
        boolean first = true;
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            if (!first) {
                sb.append('&');
            }
            first = false;
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }
}
