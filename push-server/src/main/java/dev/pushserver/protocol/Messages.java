package dev.pushserver.protocol;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.util.List;
import java.util.Map;

/**
 * Encodes server-to-client messages as UTF-8 JSON. {@code data} is a JSON-encoded string everywhere except
 * {@code pusher:error} (an object), following reference §2.12; every message carries {@code data} because the Java
 * client throws when it is missing.
 */
public final class Messages {

    private Messages() {
    }

    public static byte[] connectionEstablished(String socketId, int activityTimeoutSeconds) {
        String data = Json.string(g -> {
            g.writeStartObject();
            g.writeStringField("socket_id", socketId);
            g.writeNumberField("activity_timeout", activityTimeoutSeconds);
            g.writeEndObject();
        });
        return event("pusher:connection_established", null, data);
    }

    /** {@code code} null marks a non-fatal, per-request error as Pusher sends them. */
    public static byte[] error(String message, Integer code) {
        return error(message, code, null);
    }

    public static byte[] error(String message, Integer code, String channel) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("event", "pusher:error");
            if (channel != null) {
                g.writeStringField("channel", channel);
            }
            g.writeObjectFieldStart("data");
            g.writeStringField("message", message);
            if (code == null) {
                g.writeNullField("code");
            } else {
                g.writeNumberField("code", code);
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** Channel-scoped failure pusher-js routes to the channel's {@code pusher:subscription_error} handlers. */
    public static byte[] subscriptionError(String channel, String type, String error, int status) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("event", "pusher:subscription_error");
            g.writeStringField("channel", channel);
            g.writeObjectFieldStart("data");
            g.writeStringField("type", type);
            g.writeStringField("error", error);
            g.writeNumberField("status", status);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** {@code data} is an object whose {@code user_data} is the exact string the client signed in with. */
    public static byte[] signinSuccess(String userData) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("event", "pusher:signin_success");
            g.writeObjectFieldStart("data");
            g.writeStringField("user_data", userData);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** Watchlist changes in the format pusher-js handles; empty groups are left out. */
    public static byte[] watchlistEvents(List<String> online, List<String> offline) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("event", "pusher_internal:watchlist_events");
            g.writeObjectFieldStart("data");
            g.writeArrayFieldStart("events");
            for (int i = 0; i < 2; i++) {
                List<String> ids = i == 0 ? online : offline;
                if (ids.isEmpty()) {
                    continue;
                }
                g.writeStartObject();
                g.writeStringField("name", i == 0 ? "online" : "offline");
                g.writeArrayFieldStart("user_ids");
                for (String id : ids) {
                    g.writeString(id);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    public static byte[] cacheMiss(String channel) {
        return event("pusher:cache_miss", channel, "{}");
    }

    public static byte[] subscriptionCount(String channel, int count) {
        return event("pusher_internal:subscription_count", channel, "{\"subscription_count\":" + count + "}");
    }

    private static final byte[] PONG = "{\"event\":\"pusher:pong\",\"data\":\"{}\"}"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The same bytes every time (senders copy them into a frame and never change them). */
    public static byte[] pong() {
        return PONG;
    }

    public static byte[] subscriptionSucceeded(String channel, String data) {
        return event("pusher_internal:subscription_succeeded", channel, data);
    }

    /** Presence payload: {@code {"presence":{"ids":[..],"hash":{id:info|null},"count":n}}}, info as raw JSON. */
    public static String presenceData(Map<String, String> members) {
        return Json.string(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("presence");
            g.writeArrayFieldStart("ids");
            for (String id : members.keySet()) {
                g.writeString(id);
            }
            g.writeEndArray();
            g.writeObjectFieldStart("hash");
            for (Map.Entry<String, String> m : members.entrySet()) {
                g.writeFieldName(m.getKey());
                if (m.getValue() == null) {
                    g.writeNull();
                } else {
                    g.writeRawValue(m.getValue());
                }
            }
            g.writeEndObject();
            g.writeNumberField("count", members.size());
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    public static byte[] memberAdded(String channel, String userId, String userInfoJson) {
        String data = Json.string(g -> {
            g.writeStartObject();
            g.writeStringField("user_id", userId);
            if (userInfoJson != null) {
                g.writeFieldName("user_info");
                g.writeRawValue(userInfoJson);
            }
            g.writeEndObject();
        });
        return event("pusher_internal:member_added", channel, data);
    }

    public static byte[] memberRemoved(String channel, String userId) {
        String data = Json.string(g -> {
            g.writeStartObject();
            g.writeStringField("user_id", userId);
            g.writeEndObject();
        });
        return event("pusher_internal:member_removed", channel, data);
    }

    /** An event whose data is a string, e.g. from the HTTP API: relayed verbatim as a JSON string. */
    public static byte[] event(String event, String channel, String data) {
        // assembled straight into a right-sized array: encoded once per publication, on every trigger
        JsonStringEncoder enc = JsonStringEncoder.getInstance();
        byte[] ev = enc.quoteAsUTF8(event);
        byte[] ch = channel == null ? null : enc.quoteAsUTF8(channel);
        byte[] d = enc.quoteAsUTF8(data);
        byte[] out = new byte[EV_EVENT.length + ev.length + (ch == null ? 0 : EV_CHANNEL.length + ch.length)
                + EV_DATA.length + d.length + EV_END.length];
        int at = put(out, 0, EV_EVENT);
        at = put(out, at, ev);
        if (ch != null) {
            at = put(out, at, EV_CHANNEL);
            at = put(out, at, ch);
        }
        at = put(out, at, EV_DATA);
        at = put(out, at, d);
        put(out, at, EV_END);
        return out;
    }

    private static final byte[] EV_EVENT = ascii("{\"event\":\"");
    private static final byte[] EV_CHANNEL = ascii("\",\"channel\":\"");
    private static final byte[] EV_DATA = ascii("\",\"data\":\"");
    private static final byte[] EV_END = ascii("\"}");

    /**
     * A client event as relayed to the channel's other subscribers: {@code data} exactly as the sender wrote it (its
     * JSON text), {@code user_id} on presence channels. Assembled straight into bytes: one encode, no generator.
     */
    public static byte[] clientEvent(String event, String channel, ClientMessage msg, String userId) {
        JsonStringEncoder enc = JsonStringEncoder.getInstance();
        byte[] ev = enc.quoteAsUTF8(event);
        byte[] ch = enc.quoteAsUTF8(channel);
        byte[] uid = userId == null ? null : enc.quoteAsUTF8(userId);
        int size = CE_EVENT.length + ev.length + CE_CHANNEL.length + ch.length + CE_DATA.length
                + msg.rawDataLength() + (uid == null ? 0 : CE_USER.length + uid.length + 1) + 1;
        byte[] out = new byte[size];
        int at = put(out, 0, CE_EVENT);
        at = put(out, at, ev);
        at = put(out, at, CE_CHANNEL);
        at = put(out, at, ch);
        at = put(out, at, CE_DATA);
        msg.writeRawData(out, at);
        at += msg.rawDataLength();
        if (uid != null) {
            at = put(out, at, CE_USER);
            at = put(out, at, uid);
            out[at++] = '"';
        }
        out[at] = '}';
        return out;
    }

    private static final byte[] CE_EVENT = ascii("{\"event\":\"");
    private static final byte[] CE_CHANNEL = ascii("\",\"channel\":\"");
    private static final byte[] CE_DATA = ascii("\",\"data\":");
    private static final byte[] CE_USER = ascii(",\"user_id\":\"");

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static int put(byte[] out, int at, byte[] part) {
        System.arraycopy(part, 0, out, at, part.length);
        return at + part.length;
    }
}
