package dev.pushserver.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.api.ApiError;
import dev.pushserver.api.ApiRequest;
import dev.pushserver.api.ApiResponse;
import dev.pushserver.app.App;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.core.PushCore;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.LogText;
import dev.pushserver.protocol.Signatures;
import dev.pushserver.store.ChannelCounts;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live debug console's server side (the page is static, see {@code /web/console/}): its data endpoints under
 * {@code /console/api/}, the admin token check, and the live feed that consoles watch ({@link #watch}). It exists
 * only when {@code console} is on and {@code admin_token} is set. Every data endpoint wants
 * {@code Authorization: Bearer <admin_token>}:
 * <ul>
 * <li>{@code GET /console/api/apps}: the apps;</li>
 * <li>{@code GET /console/api/apps/{id}}: connections (this node, and cluster-wide where the cluster shares the
 * count: for apps with {@code max_connections}) and occupied channels with their (cluster-wide) counts;</li>
 * <li>{@code GET /console/api/apps/{id}/channels/{channel}/members}: a presence channel's members;</li>
 * <li>{@code POST /console/api/apps/{id}/events} with {@code {"channel","event","data"}}: triggers an event through
 * the HTTP API's own path (signed here with the app secret, which never reaches the browser), so that limits,
 * webhooks and cluster fan-out apply.</li>
 * </ul>
 */
public final class Console implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Console.class);
    /** Channels listed at most; the page says when there are more. */
    static final int MAX_CHANNELS = 500;

    /** A console watching an app's live log; {@code offer} runs under the event stream's lock: enqueue only. */
    public interface Viewer {
        void offer(ChannelEvent event);
    }

    private final byte[] token;
    private final PushCore core;
    private final String node;
    private final ConsoleFeed feed;
    /** channel lists may be long: built here, never on an event loop */
    private final ExecutorService queries;

    private Console(String token, PushCore core, ServerConfig config) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.core = core;
        this.node = config.redis().enabled() ? config.redis().nodeId() : null;
        this.feed = new ConsoleFeed(core.events());
        this.queries = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "console-queries");
            t.setDaemon(true);
            return t;
        });
        core.events().listen(feed);
    }

    /** The console, or null when it is off ({@code console: false}) or no {@code admin_token} is set. */
    public static Console startIfEnabled(ServerConfig config, PushCore core) {
        String token = config.hooks().adminToken();
        if (!config.ops().consoleEnabled() || token == null || token.isEmpty()) {
            return null;
        }
        log.info("debug console at /console (admin_token required)");
        return new Console(token, core, config);
    }

    /** Whether {@code presented} is the admin token, compared in constant time. */
    public boolean authorized(String presented) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token);
    }

    /** The app of this id, or null. */
    public App app(String id) {
        return id == null ? null : core.apps().byId(id);
    }

    /** Starts feeding {@code app}'s events to {@code viewer}; returns what stops it. */
    public Runnable watch(App app, Viewer viewer) {
        feed.watch(app, viewer);
        return () -> feed.unwatch(app, viewer);
    }

    /** Consoles watching {@code app} now. */
    public int watching(App app) {
        return feed.watching(app);
    }

    public CompletionStage<ApiResponse> handle(ApiRequest req) {
        String auth = req.authorization();
        String presented = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim()
                : null;
        if (!authorized(presented)) {
            return done(ApiResponse.error(ApiError.UNAUTHORIZED,
                    "Missing or wrong admin token: send Authorization: Bearer <admin_token>"));
        }
        String path = req.uri();
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        String[] seg = path.substring("/console/api/".length()).split("/", -1);
        try {
            for (int i = 0; i < seg.length; i++) {
                seg[i] = URLDecoder.decode(seg[i].replace("+", "%2B"), StandardCharsets.UTF_8);
            }
        } catch (IllegalArgumentException e) {
            return done(ApiResponse.error(ApiError.BAD_REQUEST, "Malformed URL: " + e.getMessage()));
        }
        if (seg.length == 1 && seg[0].equals("apps")) {
            return get(req, () -> done(ApiResponse.ok(apps())));
        }
        if (seg.length < 2 || !seg[0].equals("apps")) {
            return done(notFound());
        }
        App app = app(seg[1]);
        if (app == null) {
            return done(ApiResponse.error(ApiError.NOT_FOUND, "Unknown app id"));
        }
        if (seg.length == 2) {
            return get(req, () -> stats(app));
        }
        if (seg.length == 3 && seg[2].equals("events")) {
            if (!req.method().equals("POST")) {
                return done(new ApiResponse(ApiError.METHOD_NOT_ALLOWED,
                        ApiError.body("Only POST is allowed here"), java.util.Map.of("Allow", "POST")));
            }
            return trigger(app, req.body());
        }
        if (seg.length == 5 && seg[2].equals("channels") && seg[4].equals("members") && !seg[3].isEmpty()) {
            return get(req, () -> members(app, seg[3]));
        }
        return done(notFound());
    }

    private static ApiResponse notFound() {
        return ApiResponse.error(ApiError.NOT_FOUND, "Not found: the console endpoints are GET /console/api/apps, "
                + "GET /console/api/apps/{id}, GET /console/api/apps/{id}/channels/{channel}/members, "
                + "POST /console/api/apps/{id}/events");
    }

    private static CompletionStage<ApiResponse> get(ApiRequest req,
            java.util.function.Supplier<CompletionStage<ApiResponse>> answer) {
        if (!req.method().equals("GET") && !req.method().equals("HEAD")) {
            return done(new ApiResponse(ApiError.METHOD_NOT_ALLOWED, ApiError.body("Only GET is allowed here"),
                    java.util.Map.of("Allow", "GET")));
        }
        return answer.get();
    }

    private byte[] apps() {
        return Json.bytes(g -> {
            g.writeStartObject();
            if (node != null) {
                g.writeStringField("node", node);
            }
            g.writeBooleanField("cluster", node != null);
            g.writeArrayFieldStart("apps");
            for (App a : core.apps().all()) {
                g.writeStartObject();
                g.writeStringField("id", a.id());
                g.writeStringField("key", a.key());
                g.writeBooleanField("enabled", a.config().enabled());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private CompletionStage<ApiResponse> stats(App app) {
        int here = core.connections().count(app);
        return CompletableFuture.supplyAsync(() -> core.store().channels(app, null, MAX_CHANNELS + 1), queries)
                .thenCompose(s -> s)
                .thenApplyAsync(channels -> ApiResponse.ok(Json.bytes(g -> {
                    g.writeStartObject();
                    g.writeStringField("app", app.id());
                    g.writeObjectFieldStart("connections");
                    g.writeNumberField("node", here);
                    // a cluster shares connection counts only for apps with max_connections (they need them)
                    if (node == null || app.config().maxConnections() > 0) {
                        g.writeNumberField("cluster", here + core.store().connectionsElsewhere(app));
                    }
                    g.writeEndObject();
                    g.writeBooleanField("channels_truncated", channels.size() > MAX_CHANNELS);
                    g.writeArrayFieldStart("channels");
                    int n = 0;
                    for (Map.Entry<String, ChannelCounts> c : channels.entrySet()) {
                        if (n++ == MAX_CHANNELS) {
                            break;
                        }
                        g.writeStartObject();
                        g.writeStringField("name", c.getKey());
                        g.writeNumberField("subscription_count", c.getValue().subscriptionCount());
                        if (c.getKey().startsWith("presence-")) {
                            g.writeNumberField("user_count", c.getValue().userCount());
                        }
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                })), queries)
                .exceptionally(Console::failed);
    }

    private CompletionStage<ApiResponse> members(App app, String channel) {
        if (!channel.startsWith("presence-")) {
            return done(ApiResponse.error(ApiError.BAD_REQUEST, "Only presence channels have members"));
        }
        return core.store().members(app, channel).thenApply(members -> ApiResponse.ok(Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("channel", channel);
            g.writeArrayFieldStart("members");
            for (Map.Entry<String, String> m : members.entrySet()) {
                g.writeStartObject();
                g.writeStringField("id", m.getKey());
                if (m.getValue() != null) {
                    g.writeFieldName("info");
                    g.writeRawValue(m.getValue());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }))).exceptionally(Console::failed);
    }

    /**
     * The test form's event, as {@code POST /apps/{id}/events} signed with the app's secret and handed to the HTTP
     * API: the same validation, limits, webhooks and fan-out as any backend's trigger.
     */
    private CompletionStage<ApiResponse> trigger(App app, byte[] body) {
        JsonNode form;
        try {
            form = Json.parse(body);
        } catch (IOException e) {
            return done(ApiResponse.error(ApiError.BAD_REQUEST, "The body must be a JSON object with channel, "
                    + "event and data"));
        }
        JsonNode channel = form == null ? null : form.get("channel");
        JsonNode event = form == null ? null : form.get("event");
        if (channel == null || !channel.isTextual() || event == null || !event.isTextual()) {
            return done(ApiResponse.error(ApiError.BAD_REQUEST, "channel and event must be strings"));
        }
        JsonNode data = form.get("data");
        String dataText = data == null || data.isNull() ? "{}" : data.isTextual() ? data.asText() : data.toString();
        byte[] apiBody = Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("name", event.asText());
            g.writeArrayFieldStart("channels");
            g.writeString(channel.asText());
            g.writeEndArray();
            g.writeStringField("data", dataText);
            g.writeEndObject();
        });
        String path = "/apps/" + app.id() + "/events";
        String query = "auth_key=" + app.key() + "&auth_timestamp=" + System.currentTimeMillis() / 1000
                + "&auth_version=1.0&body_md5=" + Signatures.md5Hex(apiBody);
        String signature = Signatures.hmacSha256Hex(app.secret(), "POST\n" + path + "\n" + query);
        // the signature covers the decoded key; the URL carries it percent-encoded
        String uri = path + "?" + query.replace("auth_key=" + app.key(), "auth_key="
                + java.net.URLEncoder.encode(app.key(), StandardCharsets.UTF_8).replace("+", "%20"))
                + "&auth_signature=" + signature;
        log.info("console: test event {} on {} of app {}", LogText.of(event.asText()), LogText.of(channel.asText()),
                app.id());
        return core.api().handle(new ApiRequest("POST", uri, apiBody));
    }

    private static ApiResponse failed(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        return ApiResponse.error(ApiError.UNAVAILABLE, "Cannot read the state: " + cause.getMessage());
    }

    private static CompletionStage<ApiResponse> done(ApiResponse r) {
        return CompletableFuture.completedFuture(r);
    }

    @Override
    public void close() {
        queries.shutdownNow();
    }
}
