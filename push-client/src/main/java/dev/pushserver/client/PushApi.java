package dev.pushserver.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Client of the Pusher Channels HTTP API (push-server or any compatible server): publish events, query channels and
 * users, terminate user connections; plus the helpers an app server needs (channel authorization, user
 * authentication, webhook verification). Thread-safe; share one instance (it holds one keep-alive
 * {@link HttpClient}).
 *
 * <p>Every call has a synchronous form, which throws {@link PushApiException}, and an {@code ...Async} form whose
 * future completes exceptionally with a {@link PushApiException}.
 */
public final class PushApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private final String scheme;
    private final String host;
    private final int port;
    private final String appId;
    private final String key;
    private final String secret;
    private final byte[] encryptionMasterKey;
    private final Duration requestTimeout;
    private final HttpClient http;

    private PushApi(Builder b) {
        this.scheme = b.tls ? "https" : "http";
        this.host = Objects.requireNonNull(b.host, "host");
        this.port = b.port > 0 ? b.port : (b.tls ? 443 : 80);
        this.appId = Objects.requireNonNull(b.appId, "appId");
        this.key = Objects.requireNonNull(b.key, "key");
        this.secret = Objects.requireNonNull(b.secret, "secret");
        this.encryptionMasterKey = b.encryptionMasterKey;
        this.requestTimeout = b.requestTimeout;
        this.http = b.httpClient != null ? b.httpClient
                : HttpClient.newBuilder().connectTimeout(b.connectTimeout).version(HttpClient.Version.HTTP_1_1)
                        .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** From a URL such as {@code http://key:secret@host:port/apps/appId} (https for TLS). */
    public static PushApi fromUrl(String url) {
        return builder().url(url).build();
    }

    public String appId() {
        return appId;
    }

    public String key() {
        return key;
    }

    // ---------------------------------------------------------------- events

    /** Publishes {@code event} on one channel; {@code data} is sent verbatim if a String, else as JSON. */
    public TriggerResult trigger(String channel, String event, Object data) {
        return join(triggerAsync(List.of(channel), event, data, TriggerOptions.NONE));
    }

    public TriggerResult trigger(Collection<String> channels, String event, Object data) {
        return join(triggerAsync(channels, event, data, TriggerOptions.NONE));
    }

    public TriggerResult trigger(Collection<String> channels, String event, Object data, TriggerOptions options) {
        return join(triggerAsync(channels, event, data, options));
    }

    public CompletableFuture<TriggerResult> triggerAsync(String channel, String event, Object data) {
        return triggerAsync(List.of(channel), event, data, TriggerOptions.NONE);
    }

    /**
     * Publishes {@code event} on up to 100 channels. With {@link TriggerOptions#info()} the result holds the
     * requested attributes of each channel; with {@link TriggerOptions#socketId()} that connection is skipped.
     */
    public CompletableFuture<TriggerResult> triggerAsync(Collection<String> channels, String event, Object data,
            TriggerOptions options) {
        TriggerOptions o = options == null ? TriggerOptions.NONE : options;
        ObjectNode body = JSON.createObjectNode();
        body.put("name", event);
        ArrayNode chs = body.putArray("channels");
        channels.forEach(chs::add);
        body.put("data", dataString(data));
        if (o.socketId() != null) {
            body.put("socket_id", o.socketId());
        }
        if (!o.info().isEmpty()) {
            body.put("info", String.join(",", o.info()));
        }
        return post(path("/events"), body).thenApply(n -> new TriggerResult(channelMap(n.get("channels"))));
    }

    /** Publishes several events in one request (at most 10 on Pusher; push-server's limit is configurable). */
    public BatchResult triggerBatch(List<BatchEvent> events) {
        return join(triggerBatchAsync(events));
    }

    public CompletableFuture<BatchResult> triggerBatchAsync(List<BatchEvent> events) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode batch = body.putArray("batch");
        for (BatchEvent e : events) {
            ObjectNode item = batch.addObject();
            item.put("channel", e.channel());
            item.put("name", e.name());
            item.put("data", dataString(e.data()));
            if (e.socketId() != null) {
                item.put("socket_id", e.socketId());
            }
            if (!e.info().isEmpty()) {
                item.put("info", String.join(",", e.info()));
            }
        }
        return post(path("/batch_events"), body).thenApply(n -> {
            List<ChannelInfo> infos = new ArrayList<>();
            JsonNode b = n.get("batch");
            if (b != null && b.isArray()) {
                b.forEach(item -> infos.add(ChannelInfo.of(item)));
            }
            return new BatchResult(List.copyOf(infos));
        });
    }

    /** Sends {@code event} to every connection signed in as {@code userId} (channel {@code #server-to-user-<id>}). */
    public void sendToUser(String userId, String event, Object data) {
        join(sendToUserAsync(userId, event, data));
    }

    public CompletableFuture<Void> sendToUserAsync(String userId, String event, Object data) {
        return triggerAsync(List.of("#server-to-user-" + userId), event, data, TriggerOptions.NONE)
                .thenApply(r -> null);
    }

    // ---------------------------------------------------------------- queries

    /** All occupied channels. */
    public Map<String, ChannelInfo> channels() {
        return join(channelsAsync(null, false));
    }

    /** Occupied channels whose name starts with {@code prefix} (null: all); {@code userCount} needs "presence-". */
    public Map<String, ChannelInfo> channels(String prefix, boolean userCount) {
        return join(channelsAsync(prefix, userCount));
    }

    public CompletableFuture<Map<String, ChannelInfo>> channelsAsync(String prefix, boolean userCount) {
        Map<String, String> params = new LinkedHashMap<>();
        if (prefix != null) {
            params.put("filter_by_prefix", prefix);
        }
        if (userCount) {
            params.put("info", "user_count");
        }
        return get(path("/channels"), params).thenApply(n -> channelMap(n.get("channels")));
    }

    /**
     * One channel: always {@code occupied}, plus the requested attributes ({@code user_count},
     * {@code subscription_count}, {@code cache}).
     */
    public ChannelInfo channel(String channel, String... info) {
        return join(channelAsync(channel, info));
    }

    public CompletableFuture<ChannelInfo> channelAsync(String channel, String... info) {
        Map<String, String> params = new LinkedHashMap<>();
        if (info.length > 0) {
            params.put("info", String.join(",", info));
        }
        return get(path("/channels/" + channel), params).thenApply(ChannelInfo::of);
    }

    /** The distinct user ids on a presence channel. */
    public List<String> users(String presenceChannel) {
        return join(usersAsync(presenceChannel));
    }

    public CompletableFuture<List<String>> usersAsync(String presenceChannel) {
        return get(path("/channels/" + presenceChannel + "/users"), Map.of()).thenApply(n -> {
            List<String> ids = new ArrayList<>();
            JsonNode users = n.get("users");
            if (users != null && users.isArray()) {
                users.forEach(u -> ids.add(u.path("id").asText()));
            }
            return List.copyOf(ids);
        });
    }

    /** Closes every connection signed in as {@code userId}. */
    public void terminateUserConnections(String userId) {
        join(terminateUserConnectionsAsync(userId));
    }

    public CompletableFuture<Void> terminateUserConnectionsAsync(String userId) {
        return post(path("/users/" + userId + "/terminate_connections"), JSON.createObjectNode())
                .thenApply(n -> null);
    }

    // ---------------------------------------------------------------- auth helpers

    /** The auth response for a private or private-encrypted channel: {@code {"auth":"key:sig"[,"shared_secret"]}}. */
    public String authorizeChannel(String socketId, String channel) {
        return authorize(socketId, channel, null);
    }

    /**
     * The auth response for a presence channel: {@code {"auth":"key:sig","channel_data":"..."}}. A String
     * {@code presenceData} is used verbatim as channel_data; anything else (e.g. a Map with {@code user_id} and
     * {@code user_info}, or {@link #presenceData}) is serialised to JSON first.
     */
    public String authorizeChannel(String socketId, String channel, Object presenceData) {
        return authorize(socketId, channel, presenceData == null ? null : dataString(presenceData));
    }

    /** {@code {"user_id":userId,"user_info":userInfo}} as pusher-http-java's PresenceUser serialises it. */
    public static String presenceData(Object userId, Map<String, ?> userInfo) {
        ObjectNode n = JSON.createObjectNode();
        n.set("user_id", JSON.valueToTree(userId));
        if (userInfo != null) {
            n.set("user_info", JSON.valueToTree(userInfo));
        }
        return n.toString();
    }

    private String authorize(String socketId, String channel, String channelData) {
        checkSocketId(socketId);
        return channelAuth(key, secret, socketId, channel, channelData, encryptionMasterKey);
    }

    /**
     * The channel auth response, for any holder of the app's key and secret (also {@code PushSocket}'s in-process
     * signer): {@code {"auth":"key:hmac(socket_id:channel[:channel_data])"}}, plus {@code channel_data} when given
     * and {@code shared_secret} on {@code private-encrypted-} channels (which need {@code masterKey}).
     */
    public static String channelAuth(String key, String secret, String socketId, String channel, String channelData,
            byte[] masterKey) {
        String toSign = socketId + ":" + channel + (channelData == null ? "" : ":" + channelData);
        ObjectNode out = JSON.createObjectNode();
        out.put("auth", key + ":" + hmacHex(secret, toSign));
        if (channelData != null) {
            out.put("channel_data", channelData);
        }
        if (channel.startsWith("private-encrypted-")) {
            out.put("shared_secret", sharedSecret(channel, masterKey));
        }
        return out.toString();
    }

    /** Base64 of SHA-256(channel name bytes ‖ master key bytes), as the Pusher SDKs derive it. */
    public String sharedSecret(String channel) {
        return sharedSecret(channel, encryptionMasterKey);
    }

    private static String sharedSecret(String channel, byte[] masterKey) {
        if (masterKey == null) {
            throw new IllegalStateException("no encryption master key configured (builder.encryptionMasterKeyBase64)");
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(channel.getBytes(StandardCharsets.UTF_8));
            sha.update(masterKey);
            return Base64.getEncoder().encodeToString(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The user authentication response {@code {"auth":"key:sig","user_data":"..."}}; the signature is over
     * {@code socket_id::user::user_data}. A String {@code userData} is used verbatim, else serialised to JSON; it
     * must hold an {@code id}.
     */
    public String authenticateUser(String socketId, Object userData) {
        checkSocketId(socketId);
        String ud = dataString(userData);
        try {
            JsonNode parsed = JSON.readTree(ud);
            if (parsed == null || !parsed.hasNonNull("id") || parsed.get("id").asText().isEmpty()) {
                throw new IllegalArgumentException("user data must have a non-empty 'id'");
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("user data is not JSON: " + e.getOriginalMessage(), e);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("auth", key + ":" + hmacHex(secret, socketId + "::user::" + ud));
        out.put("user_data", ud);
        return out.toString();
    }

    private static void checkSocketId(String socketId) {
        if (socketId == null || !socketId.matches("\\d+\\.\\d+")) {
            throw new IllegalArgumentException("invalid socket id: " + socketId);
        }
    }

    // ---------------------------------------------------------------- webhooks

    /**
     * Whether a webhook is genuine: {@code X-Pusher-Key} is this app's key and {@code X-Pusher-Signature} is the
     * HMAC-SHA256 of the exact body (compared in constant time).
     */
    public boolean isValidWebhook(String xPusherKey, String xPusherSignature, byte[] body) {
        if (xPusherKey == null || xPusherSignature == null || body == null || !key.equals(xPusherKey.trim())) {
            return false;
        }
        byte[] expected = hmacHex(secret, body).getBytes(StandardCharsets.US_ASCII);
        byte[] given = xPusherSignature.trim().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given);
    }

    public boolean isValidWebhook(String xPusherKey, String xPusherSignature, String body) {
        return body != null && isValidWebhook(xPusherKey, xPusherSignature, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Verifies then parses a webhook; an invalid signature or key gives a {@link PushApiException} with 401. */
    public Webhook verifyWebhook(String xPusherKey, String xPusherSignature, byte[] body) {
        if (!isValidWebhook(xPusherKey, xPusherSignature, body)) {
            throw new PushApiException(401, "invalid webhook key or signature");
        }
        return parseWebhook(body);
    }

    public Webhook verifyWebhook(String xPusherKey, String xPusherSignature, String body) {
        return verifyWebhook(xPusherKey, xPusherSignature,
                body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses a webhook body without checking its signature. */
    public static Webhook parseWebhook(byte[] body) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            throw new PushApiException(400, "webhook body is not JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new PushApiException(400, "webhook body is not a JSON object");
        }
        List<Webhook.Event> events = new ArrayList<>();
        for (JsonNode e : n.path("events")) {
            JsonNode data = e.get("data");
            events.add(new Webhook.Event(text(e, "name"), text(e, "channel"), text(e, "user_id"), text(e, "event"),
                    data == null || data.isNull() ? null : data.isTextual() ? data.asText() : data.toString(),
                    text(e, "socket_id"),
                    e.hasNonNull("subscription_count") ? e.get("subscription_count").asInt() : null));
        }
        return new Webhook(n.path("time_ms").asLong(), List.copyOf(events));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    // ---------------------------------------------------------------- HTTP and signing

    private String path(String sub) {
        return "/apps/" + appId + sub;
    }

    private CompletableFuture<JsonNode> get(String path, Map<String, String> params) {
        String query = signedQuery("GET", path, params, null, key, secret, System.currentTimeMillis() / 1000);
        HttpRequest req = request(path, query).GET().build();
        return send(req);
    }

    private CompletableFuture<JsonNode> post(String path, JsonNode body) {
        String json = body.toString();
        String query = signedQuery("POST", path, Map.of(), json, key, secret, System.currentTimeMillis() / 1000);
        HttpRequest req = request(path, query).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build();
        return send(req);
    }

    private HttpRequest.Builder request(String path, String query) {
        URI uri = URI.create(scheme + "://" + hostPort() + encodePath(path) + "?" + query);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "application/json");
        if (requestTimeout != null) {
            b.timeout(requestTimeout);
        }
        return b;
    }

    private String hostPort() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return h + ":" + port;
    }

    private static String encodePath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String seg : path.split("/", -1)) {
            if (sb.length() > 0 || !seg.isEmpty()) {
                sb.append('/');
            }
            sb.append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return sb.toString();
    }

    private CompletableFuture<JsonNode> send(HttpRequest req) {
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((resp, err) -> {
                    if (err != null) {
                        Throwable cause = err instanceof CompletionException && err.getCause() != null
                                ? err.getCause() : err;
                        throw new PushApiException(0, req.method() + " " + req.uri().getPath() + " failed: " + cause,
                                cause);
                    }
                    return parse(resp);
                });
    }

    private static JsonNode parse(HttpResponse<String> resp) {
        String body = resp.body() == null ? "" : resp.body();
        JsonNode n = null;
        try {
            n = body.isBlank() ? null : JSON.readTree(body);
        } catch (JsonProcessingException ignored) {
            // an error body may be plain text (Pusher's are)
        }
        if (resp.statusCode() != 200) {
            String message = n != null && n.hasNonNull("error") ? n.get("error").asText() : body;
            throw new PushApiException(resp.statusCode(), message);
        }
        if (n == null) {
            throw new PushApiException(200, "response body is not JSON: " + body);
        }
        return n;
    }

    /**
     * The query string of a signed request: {@code params} plus auth_key, auth_timestamp, auth_version and body_md5
     * (if {@code body} is non-empty), then auth_signature = HMAC-SHA256 hex of {@code METHOD\nPATH\nQUERY} where QUERY
     * is every parameter but auth_signature, keys lower-cased and sorted, values not escaped. Values are
     * URL-encoded in the returned string.
     */
    static String signedQuery(String method, String path, Map<String, String> params, String body, String key,
            String secret, long timestamp) {
        TreeMap<String, String> all = new TreeMap<>();
        params.forEach((k, v) -> all.put(k.toLowerCase(java.util.Locale.ROOT), v));
        all.put("auth_key", key);
        all.put("auth_timestamp", Long.toString(timestamp));
        all.put("auth_version", "1.0");
        if (body != null && !body.isEmpty()) {
            all.put("body_md5", md5Hex(body));
        }
        all.put("auth_signature", hmacHex(secret, stringToSign(method, path, all)));
        StringBuilder q = new StringBuilder();
        for (Map.Entry<String, String> e : all.entrySet()) {
            if (q.length() > 0) {
                q.append('&');
            }
            q.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return q.toString();
    }

    static String stringToSign(String method, String path, Map<String, String> sortedParams) {
        StringBuilder sb = new StringBuilder(method.toUpperCase(java.util.Locale.ROOT)).append('\n').append(path)
                .append('\n');
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(sortedParams).entrySet()) {
            if (e.getKey().equals("auth_signature")) {
                continue;
            }
            if (!first) {
                sb.append('&');
            }
            first = false;
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    /** Decodes a query string into a map (last value wins), for tests and tooling. */
    static Map<String, String> decodeQuery(String query) {
        Map<String, String> out = new TreeMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            out.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    static String md5Hex(String body) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("MD5").digest(body.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hmacHex(String secret, String data) {
        return hmacHex(secret, data.getBytes(StandardCharsets.UTF_8));
    }

    static String hmacHex(String secret, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HEX.formatHex(mac.doFinal(data));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String dataString(Object data) {
        if (data instanceof String s) {
            return s;
        }
        try {
            return JSON.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("data cannot be serialised to JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static Map<String, ChannelInfo> channelMap(JsonNode channels) {
        Map<String, ChannelInfo> out = new LinkedHashMap<>();
        if (channels != null && channels.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = channels.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), ChannelInfo.of(e.getValue()));
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PushApiException(0, "interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new PushApiException(0, String.valueOf(c), c);
        }
    }

    /** Result of a trigger: the requested attributes per channel (empty if no {@code info} was asked). */
    public record TriggerResult(Map<String, ChannelInfo> channels) {
    }

    /** Result of a batch trigger: attributes per event, index-aligned with the request (empty if no info). */
    public record BatchResult(List<ChannelInfo> batch) {
    }

    /** Configuration of a {@link PushApi}. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port;
        private boolean tls;
        private String appId;
        private String key;
        private String secret;
        private byte[] encryptionMasterKey;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private HttpClient httpClient;

        private Builder() {
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** 0 (default): 80, or 443 with TLS. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        public Builder appId(String appId) {
            this.appId = appId;
            return this;
        }

        public Builder key(String key) {
            this.key = key;
            return this;
        }

        public Builder secret(String secret) {
            this.secret = secret;
            return this;
        }

        /** Sets scheme, host, port, key, secret and app id from {@code http(s)://key:secret@host:port/apps/appId}. */
        public Builder url(String url) {
            URI u = URI.create(url);
            String userInfo = u.getRawUserInfo();
            if (userInfo == null || !userInfo.contains(":")) {
                throw new IllegalArgumentException("URL must carry key:secret@: " + url);
            }
            int colon = userInfo.indexOf(':');
            key = URLDecoder.decode(userInfo.substring(0, colon), StandardCharsets.UTF_8);
            secret = URLDecoder.decode(userInfo.substring(colon + 1), StandardCharsets.UTF_8);
            tls = "https".equalsIgnoreCase(u.getScheme());
            if (!tls && !"http".equalsIgnoreCase(u.getScheme())) {
                throw new IllegalArgumentException("URL scheme must be http or https: " + url);
            }
            host = u.getHost();
            port = u.getPort() < 0 ? 0 : u.getPort();
            String path = u.getPath() == null ? "" : u.getPath();
            if (!path.matches("/apps/[^/]+/?")) {
                throw new IllegalArgumentException("URL path must be /apps/<appId>: " + url);
            }
            appId = path.substring("/apps/".length()).replace("/", "");
            return this;
        }

        /** The 32-byte base64 master key of end-to-end encrypted channels (for shared_secret). */
        public Builder encryptionMasterKeyBase64(String base64) {
            byte[] k = Base64.getDecoder().decode(base64);
            if (k.length != 32) {
                throw new IllegalArgumentException("the encryption master key must be 32 bytes, base64 encoded");
            }
            this.encryptionMasterKey = k;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = Objects.requireNonNull(d);
            return this;
        }

        /** Per request; null for none. */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        /** Use this HttpClient instead of a new one (e.g. to share it, or for custom TLS). */
        public Builder httpClient(HttpClient client) {
            this.httpClient = client;
            return this;
        }

        public PushApi build() {
            return new PushApi(this);
        }
    }
}
