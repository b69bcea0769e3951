package dev.pushserver.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.channel.ChannelState;
import dev.pushserver.channel.EventCache;
import dev.pushserver.cluster.Broker;
import dev.pushserver.config.AppConfig;
import dev.pushserver.connection.Connection;
import dev.pushserver.protocol.ChannelNames;
import dev.pushserver.protocol.ChannelType;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.Messages;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import dev.pushserver.transport.HttpResponses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Pusher HTTP API (reference §4): trigger, batch trigger, channel queries and terminate_connections. Requests
 * are verified, fully validated, and only then acted on, so a rejected request changes nothing.
 */
public final class ApiHandler {

    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.US_ASCII);

    private final AppRegistry apps;
    private final Broker broker;

    public ApiHandler(AppRegistry apps, Broker broker) {
        this.apps = apps;
        this.broker = broker;
    }

    public FullHttpResponse handle(FullHttpRequest req) {
        try {
            return HttpResponses.json(HttpResponseStatus.OK, route(req));
        } catch (IllegalArgumentException e) {
            // undecodable percent-escapes in the path or query
            return HttpResponses.json(HttpResponseStatus.BAD_REQUEST, ApiError.body("Malformed URL: " + e.getMessage()));
        } catch (ApiError e) {
            FullHttpResponse r = HttpResponses.json(e.status(), ApiError.body(e.getMessage()));
            if (e.allow() != null) {
                r.headers().set(HttpHeaderNames.ALLOW, e.allow());
            }
            return r;
        }
    }

    private byte[] route(FullHttpRequest req) {
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String rawPath = q.rawPath();
        int at = rawPath.indexOf("/apps/");
        if (at < 0) {
            throw new ApiError(HttpResponseStatus.NOT_FOUND, "Not found: " + rawPath);
        }
        String signedPath = decodePath(rawPath.substring(at));
        String[] seg = rawPath.substring(at + 1).split("/", -1);
        for (int i = 0; i < seg.length; i++) {
            seg[i] = decodePath(seg[i]);
        }
        // seg[0] = "apps", seg[1] = app id
        if (seg.length < 3 || seg[1].isEmpty()) {
            throw new ApiError(HttpResponseStatus.NOT_FOUND, "Not found: " + signedPath);
        }
        Route route = Route.of(seg);
        if (route == null) {
            throw new ApiError(HttpResponseStatus.NOT_FOUND, "Not found: " + signedPath);
        }
        if (!req.method().equals(route.method)) {
            throw new ApiError(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method " + req.method() + " is not allowed on "
                    + signedPath + ": use " + route.method, route.method.name());
        }
        App app = apps.byId(seg[1]);
        if (app == null) {
            throw new ApiError(HttpResponseStatus.NOT_FOUND, "Unknown app id " + seg[1]);
        }
        byte[] body = ByteBufUtil.getBytes(req.content());
        RequestSigning.verify(app, req.method().name(), signedPath, q.parameters(), body,
                System.currentTimeMillis() / 1000);
        if (!app.config().enabled()) {
            throw new ApiError(HttpResponseStatus.FORBIDDEN, "Application disabled");
        }
        return switch (route) {
            case EVENTS -> trigger(app, json(body));
            case BATCH_EVENTS -> batch(app, json(body));
            case CHANNELS -> channels(app, q.parameters());
            case CHANNEL -> channel(app, seg[3], q.parameters());
            case USERS -> users(app, seg[3]);
            case TERMINATE -> terminate(app, seg[3]);
        };
    }

    private enum Route {
        EVENTS(HttpMethod.POST), BATCH_EVENTS(HttpMethod.POST), CHANNELS(HttpMethod.GET), CHANNEL(HttpMethod.GET),
        USERS(HttpMethod.GET), TERMINATE(HttpMethod.POST);

        final HttpMethod method;

        Route(HttpMethod method) {
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

    private byte[] trigger(App app, JsonNode body) {
        Event e = event(app, body, false, "");
        publish(app, e);
        if (e.info.isEmpty()) {
            return EMPTY_OBJECT;
        }
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("channels");
            for (String ch : e.channels) {
                g.writeFieldName(ch);
                writeInfo(g, app.channels().get(ch), ChannelType.of(ch), e.info);
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private byte[] batch(App app, JsonNode body) {
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
        events.forEach(e -> publish(app, e));
        if (!anyInfo) {
            return EMPTY_OBJECT;
        }
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("batch");
            for (Event e : events) {
                String ch = e.channels.get(0);
                writeInfo(g, app.channels().get(ch), ChannelType.of(ch), e.info);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private void publish(App app, Event e) {
        AppConfig cfg = app.config();
        for (String ch : e.channels) {
            byte[] message = Messages.event(e.name, ch, e.data);
            if (cfg.enableCacheChannels() && ChannelType.isCache(ch)) {
                app.cache().put(ch, message, e.data, cfg.cacheTtl());
            }
            broker.publish(app, ch, message, e.socketId);
        }
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
            throw new ApiError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "The data content of this event ("
                    + where + "data) exceeds the allowed maximum (" + cfg.maxEventPayload() + " bytes): " + size
                    + " bytes");
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

    /** Writes the requested attributes that apply to the channel's type (trigger and batch responses). */
    private static void writeInfo(JsonGenerator g, ChannelState state, ChannelType type, Set<String> info)
            throws IOException {
        g.writeStartObject();
        if (info.contains("user_count") && type == ChannelType.PRESENCE) {
            g.writeNumberField("user_count", state == null ? 0 : state.userCount());
        }
        if (info.contains("subscription_count") && type != ChannelType.PRESENCE) {
            g.writeNumberField("subscription_count", state == null ? 0 : state.subscriptionCount());
        }
        g.writeEndObject();
    }

    // ---- queries ------------------------------------------------------------------------------------------------

    private static byte[] channels(App app, Map<String, List<String>> query) {
        String prefix = param(query, "filter_by_prefix");
        Set<String> info = infoAttributes(param(query, "info") == null ? "" : param(query, "info"));
        if (info.contains("user_count") && (prefix == null || !prefix.startsWith("presence-"))) {
            throw ApiError.badRequest("info=user_count requires filter_by_prefix=presence-");
        }
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("channels");
            for (ChannelState state : app.channels().all().values()) {
                String name = state.name();
                if (state.type() == ChannelType.SERVER_TO_USER || (prefix != null && !name.startsWith(prefix))) {
                    continue;
                }
                g.writeFieldName(name);
                writeInfo(g, state, state.type(), info);
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private static byte[] channel(App app, String name, Map<String, List<String>> query) {
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
        if (info.contains("subscription_count") && type == ChannelType.PRESENCE) {
            throw ApiError.badRequest("info=subscription_count is not available for presence channels: "
                    + "use user_count");
        }
        ChannelState state = app.channels().get(name);
        EventCache.Entry cached = wantsCache ? app.cache().get(name) : null;
        boolean cache = wantsCache;
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeBooleanField("occupied", state != null && state.subscriptionCount() > 0);
            if (cache) {
                if (cached == null) {
                    g.writeNullField("cache");
                } else {
                    g.writeObjectFieldStart("cache");
                    g.writeStringField("data", cached.data());
                    g.writeNumberField("ttl", cached.ttlSeconds(System.currentTimeMillis()));
                    g.writeEndObject();
                }
            }
            if (info.contains("user_count")) {
                g.writeNumberField("user_count", state == null ? 0 : state.userCount());
            }
            if (info.contains("subscription_count")) {
                g.writeNumberField("subscription_count", state == null ? 0 : state.subscriptionCount());
            }
            g.writeEndObject();
        });
    }

    private static byte[] users(App app, String name) {
        String problem = ChannelNames.problem(name, app.config().maxChannelNameLength(), false);
        if (problem != null) {
            throw ApiError.badRequest(problem);
        }
        if (ChannelType.of(name) != ChannelType.PRESENCE) {
            throw ApiError.badRequest("Users can only be listed for presence channels, not " + name);
        }
        ChannelState state = app.channels().get(name);
        List<String> ids = state == null ? List.of() : state.userIds();
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("users");
            for (String id : ids) {
                g.writeStartObject();
                g.writeStringField("id", id);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static byte[] terminate(App app, String userId) {
        if (userId.isEmpty() || userId.length() > 128) {
            throw ApiError.badRequest("Invalid user id: expected 1 to 128 characters");
        }
        for (Connection c : app.userConnections(userId)) {
            c.loop().execute(() -> {
                if (c.isUser(userId)) {
                    c.close(ErrorCodes.UNAUTHORIZED, "Connection terminated by the application");
                }
            });
        }
        return EMPTY_OBJECT;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static JsonNode json(byte[] body) {
        if (body.length == 0) {
            throw ApiError.badRequest("Missing request body: expected a JSON object");
        }
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            if (n == null || !n.isObject()) {
                throw ApiError.badRequest("Request body must be a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw ApiError.badRequest("Request body is not valid JSON");
        }
    }

    private static String param(Map<String, List<String>> query, String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : String.join(",", v);
    }

    /** Percent-decodes a path; unlike query decoding a '+' stays a '+'. */
    private static String decodePath(String s) {
        return QueryStringDecoder.decodeComponent(s.replace("+", "%2B"));
    }
}
