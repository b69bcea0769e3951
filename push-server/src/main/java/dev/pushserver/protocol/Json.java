package dev.pushserver.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;

/** Shared Jackson instances and a small helper to write JSON into a byte array. */
public final class Json {

    public static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build();
    /** Strict reader: trailing content after the JSON value is an error, not ignored. */
    public static final ObjectMapper MAPPER = new ObjectMapper(FACTORY)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @FunctionalInterface
    public interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private Json() {
    }

    /**
     * Parses client input and checks that every string and field name in it is well-formed UTF-16: a JSON escape
     * such as {@code "\\ud800"} without its pair would otherwise be accepted here and make every reply that repeats
     * it fail. Throws {@link MalformedText} for such input, {@link IOException} for invalid JSON.
     */
    public static JsonNode parse(byte[] utf8) throws IOException {
        return checked(MAPPER.readTree(utf8));
    }

    /** As {@link #parse(byte[])}, for JSON held in a string (channel_data, user_data, a string-encoded data). */
    public static JsonNode parse(String json) throws IOException {
        return checked(MAPPER.readTree(json));
    }

    private static JsonNode checked(JsonNode root) throws MalformedText {
        if (root != null && !wellFormed(root)) {
            throw new MalformedText();
        }
        return root;
    }

    /** Thrown for JSON whose text holds an unpaired UTF-16 surrogate. */
    public static final class MalformedText extends IOException {
        MalformedText() {
            super("text contains an unpaired UTF-16 surrogate (an escape like \\ud800 without its pair)", null);
        }
    }

    private static boolean wellFormed(JsonNode node) {
        if (node.isTextual()) {
            return wellFormed(node.textValue());
        }
        if (node.isContainerNode()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.isObject() ? node.fields() : null;
            if (fields != null) {
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> f = fields.next();
                    if (!wellFormed(f.getKey()) || !wellFormed(f.getValue())) {
                        return false;
                    }
                }
            } else {
                for (JsonNode element : node) {
                    if (!wellFormed(element)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** No unpaired surrogate: the string can be written as UTF-8. */
    public static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    public static byte[] bytes(Writer writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writer.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static String string(Writer writer) {
        return new String(bytes(writer), java.nio.charset.StandardCharsets.UTF_8);
    }
}
