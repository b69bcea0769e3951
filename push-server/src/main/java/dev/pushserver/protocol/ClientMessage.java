package dev.pushserver.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * A decoded client-to-server message. Construction never throws: malformed input yields a message whose
 * {@link #problem()} explains what is wrong.
 */
public final class ClientMessage {

    private final String event;
    private final String channel;
    private final JsonNode data;
    private final String problem;

    private ClientMessage(String event, String channel, JsonNode data, String problem) {
        this.event = event;
        this.channel = channel;
        this.data = data;
        this.problem = problem;
    }

    public static ClientMessage parse(byte[] utf8) {
        JsonNode root;
        try {
            root = Json.parse(utf8);
        } catch (Json.MalformedText e) {
            return invalid("Invalid message: " + e.getMessage());
        } catch (JsonProcessingException e) {
            return invalid("Invalid message: not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            return invalid("Invalid message: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            return invalid("Invalid message: expected a JSON object with an 'event' field");
        }
        JsonNode ev = root.get("event");
        if (ev == null || !ev.isTextual() || ev.asText().isEmpty()) {
            return invalid("Invalid message: the 'event' field must be a non-empty string");
        }
        JsonNode ch = root.get("channel");
        String channel = ch != null && ch.isTextual() ? ch.asText() : null;
        return new ClientMessage(ev.asText(), channel, root.get("data"), null);
    }

    private static ClientMessage invalid(String problem) {
        return new ClientMessage(null, null, null, problem);
    }

    public String problem() {
        return problem;
    }

    public String event() {
        return event;
    }

    /** Top-level {@code channel} (client events), or null. */
    public String channel() {
        return channel;
    }

    /** {@code data} exactly as sent: object, string, other value, or null when absent. */
    public JsonNode data() {
        return data;
    }

    /**
     * {@code data} as an object, accepting a JSON-encoded string too (reference §1.3); null when it is neither.
     */
    public JsonNode dataObject() {
        if (data == null) {
            return null;
        }
        if (data.isObject()) {
            return data;
        }
        if (data.isTextual()) {
            try {
                JsonNode parsed = Json.parse(data.asText());
                return parsed != null && parsed.isObject() ? parsed : null;
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    /** A string field of {@link #dataObject()}, or null. */
    public static String text(JsonNode obj, String field) {
        JsonNode v = obj == null ? null : obj.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
