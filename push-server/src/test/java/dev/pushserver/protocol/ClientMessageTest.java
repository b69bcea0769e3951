package dev.pushserver.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.protocol.ClientMessage.DataObject.Kind;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The streaming reader of client messages: same answers as a tree parse, without building one. */
class ClientMessageTest {

    private static ClientMessage parse(String json) {
        return ClientMessage.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String raw(ClientMessage m) {
        return new String(m.rawData(), StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":1}", "{ \"a\" : [1, 2, {\"b\": null}] }", "\"text with \\\"quotes\\\" and \\u00e9\"",
        "12", "-1.5e3", "true", "false", "null", "[]", "{}", "[1,[2,[3]]]", "\"\"", "\"😀\""})
    void dataIsRelayedExactlyAsSentWhereverItStandsInTheObject(String data) throws Exception {
        for (String json : new String[] {
            "{\"event\":\"client-x\",\"channel\":\"private-a\",\"data\":" + data + "}",
            "{\"data\":" + data + ",\"event\":\"client-x\",\"channel\":\"private-a\"}",
            "{ \"data\" :\t" + data + " \n , \"event\":\"client-x\" }",
            "{\"event\":\"client-x\",\"data\":" + data + "   }"}) {
            ClientMessage m = parse(json);
            assertThat(m.problem()).as(json).isNull();
            assertThat(m.event()).isEqualTo("client-x");
            assertThat(raw(m)).as(json).isEqualTo(data);
            assertThat(m.rawDataLength()).isEqualTo(data.getBytes(StandardCharsets.UTF_8).length);
            JsonNode tree = Json.MAPPER.readTree(data);
            assertThat(m.dataText()).isEqualTo(tree.isTextual() ? tree.asText() : data);
        }
    }

    @Test
    void aRelayedClientEventIsValidJsonWithTheDataAsSent() throws Exception {
        ClientMessage m = parse("{\"event\":\"client-\\\"q\\\"\",\"channel\":\"presence-a\",\"data\":{ \"x\": \"é\" }}");
        byte[] frame = Messages.clientEvent(m.event(), m.channel(), m, "u\"1");
        JsonNode out = Json.MAPPER.readTree(frame);
        assertThat(out.get("event").asText()).isEqualTo("client-\"q\"");
        assertThat(out.get("channel").asText()).isEqualTo("presence-a");
        assertThat(out.get("data").get("x").asText()).isEqualTo("é");
        assertThat(out.get("user_id").asText()).isEqualTo("u\"1");
        ClientMessage noData = parse("{\"event\":\"client-a\",\"channel\":\"private-a\"}");
        assertThat(new String(Messages.clientEvent("client-a", "private-a", noData, null), StandardCharsets.UTF_8))
                .isEqualTo("{\"event\":\"client-a\",\"channel\":\"private-a\",\"data\":{}}");
    }

    @Test
    void subscribeFieldsAreReadFromAnObjectOrAJsonEncodedString() {
        for (String json : new String[] {
            "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"presence-a\",\"auth\":\"k:s\","
                    + "\"channel_data\":\"{\\\"user_id\\\":\\\"1\\\"}\",\"n\":{\"deep\":[1]},\"z\":null}}",
            "{\"event\":\"pusher:subscribe\",\"data\":\"{\\\"channel\\\":\\\"presence-a\\\",\\\"auth\\\":\\\"k:s\\\","
                    + "\\\"channel_data\\\":\\\"{\\\\\\\"user_id\\\\\\\":\\\\\\\"1\\\\\\\"}\\\",\\\"n\\\":{},"
                    + "\\\"z\\\":null}\"}"}) {
            ClientMessage.DataObject d = parse(json).dataObject();
            assertThat(d).as(json).isNotNull();
            assertThat(d.text("channel")).isEqualTo("presence-a");
            assertThat(d.text("auth")).isEqualTo("k:s");
            assertThat(d.text("channel_data")).isEqualTo("{\"user_id\":\"1\"}");
            assertThat(d.kind("channel_data")).isEqualTo(Kind.STRING);
            assertThat(d.kind("n")).isEqualTo(Kind.OTHER);
            assertThat(d.text("n")).isNull();
            assertThat(d.kind("z")).isEqualTo(Kind.NULL);
            assertThat(d.kind("missing")).isEqualTo(Kind.ABSENT);
        }
        assertThat(parse("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"a\",\"channel\":\"b\"}}")
                .dataObject().text("channel")).as("the last one wins").isEqualTo("b");
        assertThat(parse("{\"event\":\"pusher:subscribe\",\"data\":\"not json\"}").dataObject()).isNull();
        assertThat(parse("{\"event\":\"pusher:subscribe\",\"data\":\"[1]\"}").dataObject()).isNull();
        assertThat(parse("{\"event\":\"pusher:subscribe\",\"data\":\"{\\\"a\\\":1} x\"}").dataObject()).isNull();
        assertThat(parse("{\"event\":\"pusher:subscribe\",\"data\":\"{\\\"a\\\":\\\"\\\\ud800\\\"}\"}")
                .dataObject()).as("unpaired surrogate inside a string-encoded data").isNull();
        assertThat(parse("{\"event\":\"pusher:subscribe\",\"data\":[1]}").dataObject()).isNull();
        assertThat(parse("{\"event\":\"pusher:subscribe\"}").dataObject()).isNull();
        assertThat(parse("{\"event\":\"pusher:subscribe\",\"channel\":5}").channel()).isNull();
    }

    @Test
    void malformedMessagesSayWhatIsWrong() {
        assertThat(parse("").problem()).contains("expected a JSON object");
        assertThat(parse("[1,2]").problem()).contains("expected a JSON object");
        assertThat(parse("\"x\"").problem()).contains("expected a JSON object");
        assertThat(parse("[1,").problem()).contains("not valid JSON");
        assertThat(parse("{\"event\":\"a\"").problem()).contains("not valid JSON");
        assertThat(parse("{\"event\":\"a\"} {}").problem()).contains("not valid JSON");
        assertThat(parse("{\"event\":\"a\"} x").problem()).contains("not valid JSON");
        assertThat(parse("{\"event\":\"a\",}").problem()).contains("not valid JSON");
        assertThat(parse("{\"event\":5}").problem()).contains("'event' field must be a non-empty string");
        assertThat(parse("{\"event\":\"\"}").problem()).contains("'event' field must be a non-empty string");
        assertThat(parse("{\"data\":{}}").problem()).contains("'event' field must be a non-empty string");
        assertThat(parse("{\"event\":\"a\",\"data\":{\"x\":\"\\ud800\"}}").problem()).contains("unpaired");
        assertThat(parse("{\"event\":\"a\",\"data\":{\"\\udc00\":1}}").problem()).contains("surrogate");
        assertThat(parse("{\"event\":\"a\",\"other\":[\"\\ud800x\"]}").problem()).contains("unpaired");
        assertThat(parse("{\"event\":\"\\ud800\"}").problem()).contains("unpaired");
        assertThat(parse("{\"event\":\"a\",\"data\":" + "[".repeat(70) + "]".repeat(70) + "}").problem())
                .contains("not valid JSON");
        assertThat(parse("{\"event\":\"a\",\"data\":" + "[".repeat(60) + "]".repeat(60) + "}").problem()).isNull();
        assertThat(parse("{\"event\":\"a\",\"data\":{\"x\":\"\\ud83d\\ude00\"}}").problem())
                .as("a surrogate pair is fine").isNull();
    }
}
