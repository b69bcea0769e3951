package dev.pushserver.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pushserver.api.ApiError;
import dev.pushserver.config.AppConfig;
import dev.pushserver.protocol.ChannelNames;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.Signatures;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The seed's sample auth endpoint, {@code POST /subscribe/auth}, served only with the demo on: it signs a private or
 * presence subscription for whoever asks, with the app's secret. Input as a form or JSON body: {@code socket_id},
 * {@code channel_name}, and for presence either {@code channel_data} (a JSON string with {@code user_id} and
 * {@code user_info}) or {@code user_id} and {@code user_name}, chosen by the visitor (neither: a guest user named
 * after the socket id, where the seed's sample answered a fixed user). Answers
 * {@code {"auth":"key:hmac"[,"channel_data":"..."]}} as pusher-js and push.js expect.
 */
final class DemoAuth {

    private DemoAuth() {
    }

    static FullHttpResponse handle(FullHttpRequest req, AppConfig app) {
        if (req.method() != HttpMethod.POST) {
            FullHttpResponse r = HttpResponses.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    ApiError.body("Only POST is allowed on /subscribe/auth"));
            r.headers().set(HttpHeaderNames.ALLOW, "POST");
            return r;
        }
        Map<String, String> in;
        try {
            in = params(req);
        } catch (IOException e) {
            return bad("Body must be a form or a JSON object");
        }
        String socketId = in.get("socket_id");
        String channel = in.get("channel_name");
        if (channel == null || channel.isEmpty()) {
            return bad("Required channel_name");
        }
        if (socketId == null || socketId.isEmpty()) {
            return bad("Required socket_id");
        }
        if (!ChannelNames.validSocketId(socketId)) {
            return bad("Invalid socket_id");
        }
        boolean presence = channel.startsWith("presence-");
        if (!presence && !channel.startsWith("private-")) {
            return bad("Invalid channel_name");
        }
        String channelData = null;
        if (presence) {
            try {
                channelData = channelData(in);
            } catch (IOException | IllegalArgumentException e) {
                return bad(e.getMessage() == null ? "Invalid channel_data" : e.getMessage());
            }
        }
        String signed = socketId + ":" + channel + (channelData == null ? "" : ":" + channelData);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("auth", app.key() + ":" + Signatures.hmacSha256Hex(app.secret(), signed));
        if (channelData != null) {
            out.put("channel_data", channelData);
        }
        FullHttpResponse r = HttpResponses.json(HttpResponseStatus.OK, out.toString());
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return r;
    }

    private static String channelData(Map<String, String> in) throws IOException {
        String given = in.get("channel_data");
        String userId;
        JsonNode info;
        if (given != null && !given.isEmpty()) {
            JsonNode data = Json.parse(given);
            if (!data.isObject() || !data.path("user_id").isValueNode()) {
                throw new IllegalArgumentException("channel_data must be a JSON object with a user_id");
            }
            userId = data.get("user_id").asText();
            info = data.get("user_info");
        } else {
            // like the seed's sample, a presence request without a user still gets one: a guest per connection
            userId = in.getOrDefault("user_id", "guest-" + in.get("socket_id").replace('.', '-'));
            String name = in.getOrDefault("user_name", in.containsKey("user_id") ? null : "Guest "
                    + in.get("socket_id").substring(in.get("socket_id").indexOf('.') + 1));
            ObjectNode i = Json.MAPPER.createObjectNode();
            i.put("name", name == null || name.isBlank() ? userId : name.strip());
            info = i;
        }
        if (userId == null || !ChannelNames.validUserId(userId)) {
            throw new IllegalArgumentException("Required user_id (1-128 letters, digits or _-=@,.;)");
        }
        ObjectNode data = Json.MAPPER.createObjectNode();
        data.put("user_id", userId);
        if (info != null && !info.isNull()) {
            data.set("user_info", info);
        }
        return data.toString();
    }

    private static Map<String, String> params(FullHttpRequest req) throws IOException {
        String body = req.content().toString(StandardCharsets.UTF_8);
        String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        Map<String, String> out = new HashMap<>();
        if (type.contains("json") || body.stripLeading().startsWith("{")) {
            JsonNode root = Json.parse(body);
            if (!root.isObject()) {
                throw new IOException("not an object");
            }
            root.fields().forEachRemaining(e -> out.put(e.getKey(),
                    e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
            return out;
        }
        for (Map.Entry<String, List<String>> e : new QueryStringDecoder(body, StandardCharsets.UTF_8, false)
                .parameters().entrySet()) {
            out.put(e.getKey(), e.getValue().get(0));
        }
        return out;
    }

    private static FullHttpResponse bad(String message) {
        return HttpResponses.json(HttpResponseStatus.BAD_REQUEST, ApiError.body(message));
    }
}
