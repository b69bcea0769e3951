package dev.pushserver.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.cluster.NodeMessage;
import dev.pushserver.api.ApiLimits.Limit;
import dev.pushserver.cluster.Publisher;
import dev.pushserver.config.AppConfig;
import dev.pushserver.event.ChannelEvent.ServerEvent;
import dev.pushserver.event.EventStream;
import dev.pushserver.event.EventType;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.protocol.ChannelNames;
import dev.pushserver.protocol.ChannelType;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.LogText;
import dev.pushserver.protocol.Messages;
import dev.pushserver.store.CachedEvent;
import dev.pushserver.store.ChannelCounts;
import dev.pushserver.store.MembershipStore;
import dev.pushserver.store.StoreUnavailable;
import dev.pushserver.user.UserService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pusher HTTP API (reference §4): trigger, batch trigger, channel queries and terminate_connections. Requests
 * are verified, fully validated, and only then acted on, so a rejected request changes nothing. Answers are stages:
 * complete at once with the in-memory store, later with a shared one; nothing here blocks.
 */
public final class ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.US_ASCII);

    private final AppRegistry apps;
    private final MembershipStore store;
    private final Publisher publisher;
    private final EventStream events;
    private final UserService users;
    private final Executor queries;
    private final ApiLimits limits;

    /**
     * @param queries runs the queries that may be large (channel lists), off the event loops
     * @param metrics counts what the per-app rate limits refuse
     */
    public ApiHandler(AppRegistry apps, MembershipStore store, Publisher publisher, EventStream events,
            UserService users, Executor queries, PushMetrics metrics) {
        this.apps = apps;
        this.store = store;
        this.publisher = publisher;
        this.events = events;
        this.users = users;
        this.queries = queries;
        this.limits = new ApiLimits(store, metrics);
    }

    public CompletionStage<ApiResponse> handle(ApiRequest req) {
        CompletionStage<byte[]> body;
        try {
            body = route(req);
        } catch (IllegalArgumentException e) {
            // undecodable percent-escapes in the path or query
            return CompletableFuture.completedFuture(ApiResponse.error(ApiError.BAD_REQUEST,
                    "Malformed URL: " + e.getMessage()));
        } catch (ApiError e) {
            return CompletableFuture.completedFuture(e.response());
        }
        return body.handle((ok, failure) -> failure == null ? ApiResponse.ok(ok) : failed(req, failure));
    }

    private static ApiResponse failed(ApiRequest req, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof ApiError e) {
            return e.response();
        }
        if (cause instanceof StoreUnavailable) {
            return ApiResponse.error(503, cause.getMessage());
        }
        log.error("HTTP API {} {} failed: {}", req.method(), LogText.of(Uri.rawPath(req.uri())), cause.toString(), cause);
        return ApiResponse.error(500, "Internal server error: " + cause.getMessage() + "; try again");
    }

    /**
     * The checks a request head allows (path, method, app, auth_key, auth_version, auth_timestamp), for the transport
     * to refuse a request before it reads the body: null when they pass, else the answer.
     */
    public ApiResponse precheck(String method, String uri) {
        try {
            Head head = head(method, uri);
            RequestSigning.verifyHead(head.app, head.query, System.currentTimeMillis() / 1000);
            return null;
        } catch (IllegalArgumentException e) {
            return ApiResponse.error(ApiError.BAD_REQUEST, "Malformed URL: " + e.getMessage());
        } catch (ApiError e) {
            return e.response();
        }
    }

    /** What the request line says: the route, its app, the signed (decoded) path, path segments, query. */
    private record Head(Route route, App app, String signedPath, String[] seg, Map<String, List<String>> query) {
    }

    private Head head(String method, String uri) {
        String rawPath = Uri.rawPath(uri);
        int at = rawPath.indexOf("/apps/");
        if (at < 0) {
            throw new ApiError(ApiError.NOT_FOUND, "Not found: no such API path");
        }
        String signedPath = Uri.decodePath(rawPath.substring(at));
        String[] seg = rawPath.substring(at + 1).split("/", -1);
        for (int i = 0; i < seg.length; i++) {
            seg[i] = Uri.decodePath(seg[i]);
        }
        // seg[0] = "apps", seg[1] = app id; unknown paths are not echoed back
        Route route = seg.length < 3 || seg[1].isEmpty() ? null : Route.of(seg);
        if (route == null) {
            throw new ApiError(ApiError.NOT_FOUND, "Not found: no such API path");
        }
        if (!method.equals(route.method)) {
            throw new ApiError(ApiError.METHOD_NOT_ALLOWED, "Method " + method + " is not allowed here: use "
                    + route.method, Map.of("Allow", route.method));
        }
        App app = apps.byId(seg[1]);
        if (app == null) {
            throw new ApiError(ApiError.NOT_FOUND, "Unknown app id");
        }
        return new Head(route, app, signedPath, seg, Uri.params(uri));
    }

    private CompletionStage<byte[]> route(ApiRequest req) {
        Head h = head(req.method(), req.uri());
        App app = h.app;
        byte[] body = req.body();
        RequestSigning.verify(app, req.method(), h.signedPath, h.query, body, System.currentTimeMillis() / 1000);
        if (!app.config().enabled()) {
            throw new ApiError(ApiError.FORBIDDEN, "Application disabled");
        }
        return switch (h.route) {
            case EVENTS -> trigger(app, json(body));
            case BATCH_EVENTS -> batch(app, json(body));
            case CHANNELS -> limits.within(app, Limit.READ_REQUESTS, 1, () -> channels(app, h.query));
            case CHANNEL -> limits.within(app, Limit.READ_REQUESTS, 1, () -> channel(app, h.seg[3], h.query));
            case USERS -> limits.within(app, Limit.READ_REQUESTS, 1, () -> users(app, h.seg[3]));
            case TERMINATE -> terminate(app, h.seg[3]);
        };
    }


    /**
     * The name of the route a (decoded) path takes, e.g. {@code EVENTS}, {@code CHANNEL}; null when none (for
     * metrics, which must label a request by route, never by its path).
     */
    public static String route(String path) {
        int at = path.indexOf("/apps/");
        if (at < 0) {
            return null;
        }
        Route r = Route.of(path.substring(at + 1).split("/", -1));
        return r == null ? null : r.name();
    }

    private enum Route {
        EVENTS("POST"), BATCH_EVENTS("POST"), CHANNELS("GET"), CHANNEL("GET"), USERS("GET"), TERMINATE("POST");

        final String method;

        Route(String method) {
            this.method = method;
        }

        static Route of(String[] s) {
            int n = s.length;
            if (n == 3 && s[2].equals("events")) {
                return EVENTS;
            }
            if (n == 3 && s[2].equals("batch_events")) {
                return BATCH_EVENTS;
            }
            if (n == 3 && s[2].equals("channels")) {
                return CHANNELS;
            }
            if (n == 4 && s[2].equals("channels") && !s[3].isEmpty()) {
                return CHANNEL;
            }
            if (n == 5 && s[2].equals("channels") && s[4].equals("users")) {
                return USERS;
            }
            if (n == 5 && s[2].equals("users") && !s[3].isEmpty() && s[4].equals("terminate_connections")) {
                return TERMINATE;
            }
            return null;
        }
    }

    // ---- trigger ------------------------------------------------------------------------------------------------

    /** A validated event, ready to publish. */
    private record Event(String name, List<String> channels, String data, String socketId, Set<String> info) {
    }

    private CompletionStage<byte[]> trigger(App app, JsonNode body) {
        Event e = event(app, body, false, "");
        return limits.within(app, Limit.BACKEND_EVENTS, e.channels.size(), () -> send(app, e));
    }

    private CompletionStage<byte[]> send(App app, Event e) {
        CompletionStage<?> sent = publish(app, e);
        if (e.info.isEmpty()) {
            return sent.thenApply(x -> EMPTY_OBJECT);
        }
        return sent.thenCompose(x -> counts(app, e.channels)).thenApply(counts -> Json.bytes(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("channels");
            for (String ch : e.channels) {
                g.writeFieldName(ch);
                writeInfo(g, counts.get(ch), ChannelType.of(ch), e.info);
            }
            g.writeEndObject();
            g.writeEndObject();
        }));
    }

    private CompletionStage<byte[]> batch(App app, JsonNode body) {
        JsonNode batch = body.get("batch");
        if (batch == null || !batch.isArray()) {
            throw ApiError.badRequest("Missing 'batch': expected an array of events");
        }
        int max = app.config().maxEventsPerBatch();
        if (batch.size() > max) {
            throw ApiError.badRequest("Too many events in batch: " + batch.size() + ", the maximum is " + max);
        }
        List<Event> events = new ArrayList<>(batch.size());
        boolean anyInfo = false;
        for (int i = 0; i < batch.size(); i++) {
            JsonNode item = batch.get(i);
            if (item == null || !item.isObject()) {
                throw ApiError.badRequest("batch[" + i + "] must be an object");
            }
            Event e = event(app, item, true, "batch[" + i + "].");
            anyInfo |= !e.info.isEmpty();
            events.add(e);
        }
        boolean info = anyInfo;
        return limits.within(app, Limit.BACKEND_EVENTS, events.size(), () -> sendBatch(app, events, info));
    }

    private CompletionStage<byte[]> sendBatch(App app, List<Event> events, boolean anyInfo) {
        List<CompletionStage<?>> sent = new ArrayList<>(events.size());
        for (Event e : events) {
            sent.add(publish(app, e));
        }
        CompletionStage<?> all = allOf(sent);
        if (!anyInfo) {
            return all.thenApply(x -> EMPTY_OBJECT);
        }
        List<String> firstChannels = events.stream().map(e -> e.channels.get(0)).toList();
        return all.thenCompose(x -> counts(app, firstChannels)).thenApply(counts -> Json.bytes(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("batch");
            for (Event e : events) {
                String ch = e.channels.get(0);
                writeInfo(g, counts.get(ch), ChannelType.of(ch), e.info);
            }
            g.writeEndArray();
            g.writeEndObject();
        }));
    }

    /** Publishes to every channel of the event; a cache channel's event is stored before it is delivered. */
    private CompletionStage<?> publish(App app, Event e) {
        AppConfig cfg = app.config();
        List<CompletionStage<?>> stored = null;
        boolean announce = events.wants(app, EventType.SERVER_EVENT);
        for (String ch : e.channels) {
            byte[] message = Messages.event(e.name, ch, e.data);
            if (cfg.enableCacheChannels() && ChannelType.isCache(ch)) {
                CachedEvent cached = new CachedEvent(message, e.data,
                        System.currentTimeMillis() + cfg.cacheTtl() * 1000L);
                if (stored == null) {
                    stored = new ArrayList<>();
                }
                stored.add(store.cache(app, ch, cached)
                        .thenRun(() -> publisher.publish(app, ch, message, e.socketId)));
            } else {
                publisher.publish(app, ch, message, e.socketId);
            }
            if (announce) {
                events.emit(app, EventType.SERVER_EVENT,
                        (seq, t) -> new ServerEvent(app, ch, e.name, e.data, e.socketId, t, seq));
            }
        }
        return stored == null ? CompletableFuture.completedFuture(null) : allOf(stored);
    }

    private static Event event(App app, JsonNode body, boolean single, String where) {
        AppConfig cfg = app.config();
        JsonNode nameNode = body.get("name");
        if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isEmpty()) {
            throw ApiError.badRequest("Missing '" + where + "name': the event name must be a non-empty string");
        }
        String name = nameNode.asText();
        if (name.length() > cfg.maxEventNameLength()) {
            throw ApiError.badRequest("Event name '" + where + "name' is too long: " + name.length()
                    + " characters, the maximum is " + cfg.maxEventNameLength());
        }
        JsonNode dataNode = body.get("data");
        if (dataNode == null || dataNode.isNull()) {
            throw ApiError.badRequest("Missing '" + where + "data': the event data must be a string");
        }
        // Pusher wants a string; a JSON value sent by a lenient client is relayed as its JSON text
        String data = dataNode.isTextual() ? dataNode.asText() : dataNode.toString();
        int size = data.getBytes(StandardCharsets.UTF_8).length;
        if (size > cfg.maxEventPayload()) {
            throw new ApiError(ApiError.PAYLOAD_TOO_LARGE, "The data content of this event (" + where
                    + "data) exceeds the allowed maximum (" + cfg.maxEventPayload() + " bytes): " + size + " bytes");
        }
        List<String> channels = channelsOf(body, single, where, cfg);
        String socketId = null;
        JsonNode sid = body.get("socket_id");
        if (sid != null && !sid.isNull()) {
            if (!sid.isTextual() || !ChannelNames.validSocketId(sid.asText())) {
                throw ApiError.badRequest("Invalid '" + where + "socket_id': expected the form 123.456");
            }
            socketId = sid.asText();
        }
        Set<String> info = infoOf(body.get("info"), where);
        return new Event(name, channels, data, socketId, info);
    }

    private static List<String> channelsOf(JsonNode body, boolean single, String where, AppConfig cfg) {
        JsonNode list = body.get("channels");
        JsonNode one = body.get("channel");
        Set<String> out = new LinkedHashSet<>();
        if (list != null && !list.isNull() && !single) {
            if (!list.isArray()) {
                throw ApiError.badRequest("'" + where + "channels' must be an array of channel names");
            }
            if (list.size() > cfg.maxChannelsPerTrigger()) {
                throw ApiError.badRequest("Too many channels: " + list.size() + ", the maximum is "
                        + cfg.maxChannelsPerTrigger());
            }
            for (JsonNode c : list) {
                if (!c.isTextual()) {
                    throw ApiError.badRequest("'" + where + "channels' must contain only strings");
                }
                out.add(c.asText());
            }
        } else if (one != null && one.isTextual()) {
            out.add(one.asText());
        } else if (one != null && !one.isNull()) {
            throw ApiError.badRequest("'" + where + "channel' must be a string");
        }
        if (out.isEmpty()) {
            throw ApiError.badRequest("Missing '" + where + (single ? "channel" : "channels")
                    + "': name at least one channel");
        }
        for (String c : out) {
            String problem = ChannelNames.problem(c, cfg.maxChannelNameLength(), true);
            if (problem != null) {
                throw ApiError.badRequest(problem);
            }
        }
        if (out.size() > 1 && out.stream().anyMatch(c -> ChannelType.of(c) == ChannelType.ENCRYPTED)) {
            throw ApiError.badRequest("An event to an encrypted channel cannot be sent to other channels as well");
        }
        return List.copyOf(out);
    }

    private static Set<String> infoOf(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return Set.of();
        }
        if (!node.isTextual()) {
            throw ApiError.badRequest("'" + where + "info' must be a comma-separated string");
        }
        return infoAttributes(node.asText());
    }

    private static Set<String> infoAttributes(String csv) {
        Set<String> out = new LinkedHashSet<>();
        for (String a : csv.split(",")) {
            String attr = a.trim();
            if (attr.isEmpty()) {
                continue;
            }
            if (!attr.equals("user_count") && !attr.equals("subscription_count")) {
                throw ApiError.badRequest("Unknown info attribute '" + attr
                        + "': supported are user_count and subscription_count");
            }
            out.add(attr);
        }
        return out;
    }

    /**
     * Writes the requested attributes that apply to the channel's type: user_count on presence channels,
     * subscription_count (connections) on every type (reference §4.3).
     */
    private static void writeInfo(JsonGenerator g, ChannelCounts counts, ChannelType type, Set<String> info)
            throws IOException {
        ChannelCounts c = counts == null ? ChannelCounts.NONE : counts;
        g.writeStartObject();
        if (info.contains("user_count") && type == ChannelType.PRESENCE) {
            g.writeNumberField("user_count", c.userCount());
        }
        if (info.contains("subscription_count")) {
            g.writeNumberField("subscription_count", c.subscriptionCount());
        }
        g.writeEndObject();
    }

    /** Counts of each channel, in the given order. */
    private CompletionStage<Map<String, ChannelCounts>> counts(App app, List<String> channels) {
        List<CompletableFuture<ChannelCounts>> each = new ArrayList<>(channels.size());
        for (String ch : channels) {
            each.add(store.channel(app, ch).toCompletableFuture());
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(x -> {
            Map<String, ChannelCounts> out = new LinkedHashMap<>();
            for (int i = 0; i < channels.size(); i++) {
                out.put(channels.get(i), each.get(i).join());
            }
            return out;
        });
    }

    // ---- queries ------------------------------------------------------------------------------------------------

    private CompletionStage<byte[]> channels(App app, Map<String, List<String>> query) {
        String prefix = param(query, "filter_by_prefix");
        Set<String> info = infoAttributes(param(query, "info") == null ? "" : param(query, "info"));
        if (info.contains("user_count") && (prefix == null || !prefix.startsWith("presence-"))) {
            throw ApiError.badRequest("info=user_count requires filter_by_prefix=presence-");
        }
        int max = app.config().maxChannelsPerQuery();
        // listed and encoded off the event loop: an app may have very many channels
        return CompletableFuture.supplyAsync(() -> store.channels(app, prefix, max + 1), queries)
                .thenCompose(stage -> stage).thenApplyAsync(channels -> {
                    if (channels.size() > max) {
                        throw ApiError.badRequest("More than " + max + " channels match: narrow the list with "
                                + "filter_by_prefix (the app's max_channels_per_query)");
                    }
                    return listing(channels, info);
                }, queries);
    }

    private static byte[] listing(Map<String, ChannelCounts> channels, Set<String> info) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("channels");
            for (Map.Entry<String, ChannelCounts> c : channels.entrySet()) {
                ChannelType type = ChannelType.of(c.getKey());
                if (type == ChannelType.SERVER_TO_USER) {
                    continue;
                }
                g.writeFieldName(c.getKey());
                writeInfo(g, c.getValue(), type, info);
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private CompletionStage<byte[]> channel(App app, String name, Map<String, List<String>> query) {
        String problem = ChannelNames.problem(name, app.config().maxChannelNameLength(), true);
        if (problem != null) {
            throw ApiError.badRequest(problem);
        }
        ChannelType type = ChannelType.of(name);
        String infoParam = param(query, "info");
        boolean wantsCache = false;
        if (infoParam != null) {
            StringBuilder rest = new StringBuilder();
            for (String a : infoParam.split(",")) {
                if (a.trim().equals("cache")) {
                    wantsCache = true;
                } else {
                    rest.append(a).append(',');
                }
            }
            infoParam = rest.toString();
        }
        if (wantsCache && !ChannelType.isCache(name)) {
            throw ApiError.badRequest("info=cache is only available for cache channels");
        }
        Set<String> info = infoAttributes(infoParam == null ? "" : infoParam);
        if (info.contains("user_count") && type != ChannelType.PRESENCE) {
            throw ApiError.badRequest("info=user_count is only available for presence channels");
        }
        boolean cache = wantsCache;
        CompletableFuture<ChannelCounts> counts = store.channel(app, name).toCompletableFuture();
        CompletableFuture<CachedEvent> cached = cache ? store.cached(app, name).toCompletableFuture()
                : CompletableFuture.completedFuture(null);
        return counts.thenCombine(cached, (c, entry) -> Json.bytes(g -> {
            g.writeStartObject();
            g.writeBooleanField("occupied", c.occupied());
            if (cache) {
                if (entry == null) {
                    g.writeNullField("cache");
                } else {
                    g.writeObjectFieldStart("cache");
                    g.writeStringField("data", entry.data());
                    g.writeNumberField("ttl", entry.ttlSeconds(System.currentTimeMillis()));
                    g.writeEndObject();
                }
            }
            if (info.contains("user_count")) {
                g.writeNumberField("user_count", c.userCount());
            }
            if (info.contains("subscription_count")) {
                g.writeNumberField("subscription_count", c.subscriptionCount());
            }
            g.writeEndObject();
        }));
    }

    private CompletionStage<byte[]> users(App app, String name) {
        String problem = ChannelNames.problem(name, app.config().maxChannelNameLength(), false);
        if (problem != null) {
            throw ApiError.badRequest(problem);
        }
        if (ChannelType.of(name) != ChannelType.PRESENCE) {
            throw ApiError.badRequest("Users can only be listed for presence channels, not " + name);
        }
        return store.members(app, name).thenApply(members -> Json.bytes(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("users");
            for (String id : members.keySet()) {
                g.writeStartObject();
                g.writeStringField("id", id);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }));
    }

    private CompletionStage<byte[]> terminate(App app, String userId) {
        if (userId.isEmpty() || userId.length() > 128) {
            throw ApiError.badRequest("Invalid user id: expected 1 to 128 characters");
        }
        users.terminate(app, userId);
        publisher.broadcast(new NodeMessage(app, NodeMessage.Kind.TERMINATE, userId)); // and on the other nodes
        return CompletableFuture.completedFuture(EMPTY_OBJECT);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static CompletionStage<?> allOf(List<CompletionStage<?>> stages) {
        if (stages.size() == 1) {
            return stages.get(0);
        }
        CompletableFuture<?>[] all = new CompletableFuture<?>[stages.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = stages.get(i).toCompletableFuture();
        }
        return CompletableFuture.allOf(all);
    }

    private static JsonNode json(byte[] body) {
        if (body.length == 0) {
            throw ApiError.badRequest("Missing request body: expected a JSON object");
        }
        try {
            JsonNode n = Json.parse(body);
            if (n == null || !n.isObject()) {
                throw ApiError.badRequest("Request body must be a JSON object");
            }
            return n;
        } catch (Json.MalformedText e) {
            throw ApiError.badRequest("Request body: " + e.getMessage());
        } catch (IOException e) {
            throw ApiError.badRequest("Request body is not valid JSON");
        }
    }

    private static String param(Map<String, List<String>> query, String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : String.join(",", v);
    }
}
