package dev.pushserver.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoded client-to-server message. Construction never throws: malformed input yields a message whose
 * {@link #problem()} explains what is wrong.
 *
 * <p>One streaming pass reads {@code event} and {@code channel}, checks that the whole message is valid JSON with
 * well-formed text (no unpaired UTF-16 surrogate, at most 64 levels deep), and only remembers where {@code data}
 * lies in the input: no tree is built. A client event relays those bytes as they came ({@link #rawData()}); a
 * subscribe or signin reads the few fields it needs from them ({@link #dataObject()}).
 */
public final class ClientMessage {

    private static final byte[] EMPTY_OBJECT = {'{', '}'};

    private final String event;
    private final String channel;
    private final String problem;
    private final byte[] in;
    /** where {@code data} lies in {@code in}; {@code dataEnd == 0} when absent */
    private final int dataStart;
    private final int dataEnd;
    private final JsonToken dataToken;
    /** the value of a string {@code data} */
    private final String dataString;
    /** an object {@code data}'s fields, when they were read in the first pass */
    private final DataObject fields;

    private ClientMessage(String event, String channel, byte[] in, int dataStart, int dataEnd, JsonToken dataToken,
            String dataString, DataObject fields, String problem) {
        this.event = event;
        this.channel = channel;
        this.in = in;
        this.dataStart = dataStart;
        this.dataEnd = dataEnd;
        this.dataToken = dataToken;
        this.dataString = dataString;
        this.fields = fields;
        this.problem = problem;
    }

    public static ClientMessage parse(byte[] utf8) {
        try (JsonParser p = Json.FACTORY.createParser(utf8)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                if (t != null) {
                    skip(p, t); // invalid JSON is reported as such, before the shape
                    trailing(p);
                }
                return invalid("Invalid message: expected a JSON object with an 'event' field");
            }
            String event = null;
            boolean eventOk = false;
            String channel = null;
            int dataStart = 0;
            int dataEnd = 0;
            JsonToken dataToken = null;
            String dataString = null;
            DataObject fields = null;
            int pendingDataStart = -1;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                if (pendingDataStart >= 0) {
                    dataStart = pendingDataStart;
                    dataEnd = valueEnd(utf8, pendingDataStart, (int) p.currentTokenLocation().getByteOffset());
                    pendingDataStart = -1;
                }
                String name = p.currentName();
                if (!Json.wellFormed(name)) {
                    throw new Json.MalformedText();
                }
                JsonToken v = p.nextToken();
                switch (name) {
                    case "event" -> {
                        String text = v == JsonToken.VALUE_STRING ? checkedText(p) : null;
                        eventOk = text != null && !text.isEmpty();
                        event = text;
                        if (v != JsonToken.VALUE_STRING) {
                            skip(p, v);
                        }
                    }
                    case "channel" -> {
                        channel = v == JsonToken.VALUE_STRING ? checkedText(p) : null;
                        if (v != JsonToken.VALUE_STRING) {
                            skip(p, v);
                        }
                    }
                    case "data" -> {
                        pendingDataStart = (int) p.currentTokenLocation().getByteOffset();
                        dataToken = v;
                        dataString = v == JsonToken.VALUE_STRING ? checkedText(p) : null;
                        fields = null;
                        if (v == JsonToken.START_OBJECT && eventOk && event.startsWith("pusher:")) {
                            // a protocol message (pusher-js sends event first): read its fields in this pass
                            fields = DataObject.fields(p);
                        } else if (v != JsonToken.VALUE_STRING) {
                            skip(p, v);
                        }
                    }
                    default -> skip(p, v);
                }
            }
            if (t != JsonToken.END_OBJECT) {
                return invalid("Invalid message: not valid JSON");
            }
            if (pendingDataStart >= 0) {
                dataStart = pendingDataStart;
                dataEnd = valueEnd(utf8, pendingDataStart, (int) p.currentTokenLocation().getByteOffset());
            }
            trailing(p);
            if (!eventOk) {
                return invalid("Invalid message: the 'event' field must be a non-empty string");
            }
            return new ClientMessage(event, channel, utf8, dataStart, dataEnd, dataToken, dataString, fields, null);
        } catch (Json.MalformedText e) {
            return invalid("Invalid message: " + e.getMessage());
        } catch (JsonProcessingException e) {
            return invalid("Invalid message: not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            return invalid("Invalid message: " + e.getMessage());
        }
    }

    /** The text of the current string token, refused when it holds an unpaired surrogate. */
    private static String checkedText(JsonParser p) throws IOException {
        check(p);
        return p.getText();
    }

    /** Refuses the current string token when it holds an unpaired surrogate; reads it in place, no copy. */
    private static void check(JsonParser p) throws IOException {
        char[] chars = p.getTextCharacters();
        int from = p.getTextOffset();
        int to = from + p.getTextLength();
        for (int i = from; i < to; i++) {
            char c = chars[i];
            if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(chars[i + 1])) {
                    i++;
                } else {
                    throw new Json.MalformedText();
                }
            }
        }
    }

    /** Reads past the value that starts with {@code t}, checking every string and field name in it. */
    private static void skip(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            check(p);
            return;
        }
        if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
            return;
        }
        int depth = 1;
        while (depth > 0) {
            JsonToken n = p.nextToken();
            if (n == null) {
                throw new IOException("not valid JSON (unexpected end of input)");
            }
            switch (n) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                case FIELD_NAME -> {
                    if (!Json.wellFormed(p.currentName())) {
                        throw new Json.MalformedText();
                    }
                }
                case VALUE_STRING -> check(p);
                default -> {
                }
            }
        }
    }

    private static void trailing(JsonParser p) throws IOException {
        JsonToken extra = p.nextToken();
        if (extra != null) {
            throw new IOException("not valid JSON (trailing token " + extra + " after the message)");
        }
    }

    /**
     * The end of a value that starts at {@code start}, given where the next token starts: back over whitespace and
     * the separating comma.
     */
    private static int valueEnd(byte[] in, int start, int next) {
        int end = next;
        while (end > start && isSpace(in[end - 1])) {
            end--;
        }
        if (end > start && in[end - 1] == ',') {
            end--;
            while (end > start && isSpace(in[end - 1])) {
                end--;
            }
        }
        return end;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    private static ClientMessage invalid(String problem) {
        return new ClientMessage(null, null, null, 0, 0, null, null, null, problem);
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

    /** {@code data} exactly as sent (its JSON text, as bytes), or {@code {}} when absent. */
    public byte[] rawData() {
        if (dataEnd == 0) {
            return EMPTY_OBJECT;
        }
        byte[] out = new byte[dataEnd - dataStart];
        System.arraycopy(in, dataStart, out, 0, out.length);
        return out;
    }

    /** Bytes of {@code data} as sent (2 for an absent one, {@code {}}). */
    public int rawDataLength() {
        return dataEnd == 0 ? EMPTY_OBJECT.length : dataEnd - dataStart;
    }

    /** Appends {@code data} as sent, or {@code {}} when absent. */
    void writeRawData(byte[] out, int at) {
        if (dataEnd == 0) {
            System.arraycopy(EMPTY_OBJECT, 0, out, at, EMPTY_OBJECT.length);
        } else {
            System.arraycopy(in, dataStart, out, at, dataEnd - dataStart);
        }
    }

    /** {@code data} as text for a webhook: a string as is, anything else as its JSON text ({@code {}} if absent). */
    public String dataText() {
        if (dataToken == JsonToken.VALUE_STRING) {
            return dataString;
        }
        return dataEnd == 0 ? "{}" : new String(in, dataStart, dataEnd - dataStart, StandardCharsets.UTF_8);
    }

    /**
     * {@code data} as an object, accepting a JSON-encoded string too (reference §1.3); null when it is neither. Only
     * its top-level fields are read.
     */
    public DataObject dataObject() {
        if (fields != null) {
            return fields;
        }
        try {
            if (dataToken == JsonToken.START_OBJECT) {
                try (JsonParser p = Json.FACTORY.createParser(in, dataStart, dataEnd - dataStart)) {
                    return DataObject.read(p);
                }
            }
            if (dataToken == JsonToken.VALUE_STRING) {
                try (JsonParser p = Json.FACTORY.createParser(dataString)) {
                    return DataObject.read(p);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** A string field of {@code obj}, or null (also when {@code obj} is null). */
    public static String text(DataObject obj, String field) {
        return obj == null ? null : obj.text(field);
    }

    /** The top-level fields of an object {@code data}: strings by value, anything else by kind. */
    public static final class DataObject {

        /** What a field holds. */
        public enum Kind { ABSENT, NULL, STRING, OTHER }

        private final List<String> names = new ArrayList<>(4);
        private final List<String> strings = new ArrayList<>(4);
        private final List<Kind> kinds = new ArrayList<>(4);

        private DataObject() {
        }

        /** The object at the parser's start, with well-formed text, or an IOException. */
        static DataObject read(JsonParser p) throws IOException {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            DataObject o = fields(p);
            trailing(p);
            return o;
        }

        /** The fields of the object whose START_OBJECT the parser is on, up to and including its END_OBJECT. */
        static DataObject fields(JsonParser p) throws IOException {
            DataObject o = new DataObject();
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (!Json.wellFormed(name)) {
                    throw new Json.MalformedText();
                }
                JsonToken v = p.nextToken();
                String s = null;
                Kind kind;
                if (v == JsonToken.VALUE_STRING) {
                    s = checkedText(p);
                    kind = Kind.STRING;
                } else if (v == JsonToken.VALUE_NULL) {
                    kind = Kind.NULL;
                } else {
                    skip(p, v);
                    kind = Kind.OTHER;
                }
                int i = o.names.indexOf(name);
                if (i >= 0) { // the last one wins, as in a JSON object read into a map
                    o.strings.set(i, s);
                    o.kinds.set(i, kind);
                } else {
                    o.names.add(name);
                    o.strings.add(s);
                    o.kinds.add(kind);
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new IOException("not an object");
            }
            return o;
        }

        /** The field's value when it is a string, else null. */
        public String text(String field) {
            int i = names.indexOf(field);
            return i < 0 ? null : strings.get(i);
        }

        public Kind kind(String field) {
            int i = names.indexOf(field);
            return i < 0 ? Kind.ABSENT : kinds.get(i);
        }
    }
}
