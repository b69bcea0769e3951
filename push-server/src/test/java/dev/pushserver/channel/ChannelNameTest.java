package dev.pushserver.channel;

import static dev.pushserver.channel.ChannelTestSupport.FAST_STOP;
import static dev.pushserver.channel.ChannelTestSupport.assertPerRequestError;
import static dev.pushserver.channel.ChannelTestSupport.httpGet;
import static dev.pushserver.channel.ChannelTestSupport.raw;
import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static dev.pushserver.testing.Messages.subscribe;
import static dev.pushserver.testing.Messages.subscribeSigned;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.channel.ChannelTestSupport.Raw;
import dev.pushserver.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Channel name rules on subscribe (reference §3.2): the alphabet {@code [A-Za-z0-9_\-=@,.;]}, a configurable maximum
 * length (20 here), no empty name, and {@code #} reserved (so {@code #server-to-user-*} needs a signed-in user).
 */
class ChannelNameTest {

    private static final int MAX = 20;
    @RegisterExtension
    static final TestServer server = TestServer.perClass(
            apps(app(1, "enable_client_messages: true", "max_channel_name_length: " + MAX)) + FAST_STOP);
    private static com.pusher.rest.Pusher api;

    @BeforeAll
    static void connectApi() {
        api = server.httpClient("app-1", "key-1", "secret-1");
    }

    /** Asserts pusher:error with code null, no subscription_succeeded, connection open; returns the error text. */
    private static String expectNameRejected(Raw c, String channel) throws Exception {
        List<JsonNode> got = c.untilPong();
        assertThat(got).as("reply to subscribe '%s'", channel)
                .noneMatch(m -> m.path("event").asText().equals("pusher_internal:subscription_succeeded"));
        JsonNode error = got.stream().filter(m -> m.path("event").asText().equals("pusher:error")).findFirst()
                .orElseThrow(() -> new AssertionError("no pusher:error for '" + channel + "': " + got));
        assertPerRequestError(error);
        assertThat(c.client().isOpen()).isTrue();
        return error.path("data").path("message").asText();
    }

    private static JsonNode channelList() throws Exception {
        return httpGet(api, "/channels", Map.of()).path("channels");
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"news feed", "news#1", "news*", "caf\u00e9", "\u65b0\u95fb", "news/1", "news:1",
            "news\"1", "private-a b", "presence-a*b", "#news", "#server-to-user-1", "#server-to-user-",
            "private-#server-to-user-1", " news", "news\t"})
    void invalidNamesAreRejectedAndNothingIsSubscribed(String channel) throws Exception {
        try (Raw c = raw(server, "key-1")) {
            // a signature that would be valid for the name, so only the name can be the problem
            c.send(subscribeSigned("key-1", "secret-1", c.socketId(), channel));
            expectNameRejected(c, channel);
            assertThat(channelList().has(channel)).as("channel list: %s", channelList()).isFalse();
        }
    }

    @Test
    void emptyNameIsRejected() throws Exception {
        try (Raw c = raw(server, "key-1")) {
            c.send(subscribe(""));
            expectNameRejected(c, "");
            assertThat(channelList().size()).isZero();
        }
    }

    @Test
    void nameLongerThanTheConfiguredMaximumIsRejected() throws Exception {
        String tooLong = "a".repeat(MAX + 1);
        String privateTooLong = "private-" + "b".repeat(MAX + 1 - "private-".length());
        try (Raw c = raw(server, "key-1")) {
            c.send(subscribe(tooLong));
            assertThat(expectNameRejected(c, tooLong)).containsIgnoringCase("too long");
            c.send(subscribeSigned("key-1", "secret-1", c.socketId(), privateTooLong));
            expectNameRejected(c, privateTooLong);
            assertThat(channelList().has(tooLong)).isFalse();
            assertThat(channelList().has(privateTooLong)).isFalse();
        }
    }

    @Test
    void nameOfExactlyTheMaximumLengthIsAccepted() throws Exception {
        String exact = "c".repeat(MAX);
        String privateExact = "private-" + "d".repeat(MAX - "private-".length());
        try (Raw c = raw(server, "key-1")) {
            c.subscribeOk(subscribe(exact), exact);
            c.subscribeOk(subscribeSigned("key-1", "secret-1", c.socketId(), privateExact),
                    privateExact);
        }
    }

    @Test
    void everyAllowedCharacterIsAccepted() throws Exception {
        String channel = "Az09_-=@,.;";
        try (Raw c = raw(server, "key-1")) {
            c.subscribeOk(subscribe(channel), channel);
            assertThat(channelList().has(channel)).isTrue();
        }
    }

    @Test
    void serverToUserChannelCannotBeSubscribedWithoutSignin() throws Exception {
        String channel = "#server-to-user-1";
        try (Raw c = raw(server, "key-1")) {
            // as pusher-js (auth "") and as the Java client (no auth) would send it
            c.send(subscribe(channel));
            expectNameRejected(c, channel);
            c.send("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"#server-to-user-1\"}}");
            expectNameRejected(c, channel);

            // a server-to-user event does not reach the connection
            String control = "control-stu";
            c.subscribeOk(subscribe(control), control);
            // the SDK (1.3.4) has no sendToUser and refuses '#': post the trigger body as pusher-http-node would
            com.pusher.rest.data.Result r = api.post("/events",
                    "{\"name\":\"private-note\",\"channels\":[\"#server-to-user-1\"],\"data\":\"secret\"}");
            assertThat(r.getHttpStatus()).as(r.getMessage()).isEqualTo(200);
            assertThat(ChannelTestSupport.untilSentinel(c, api, control)).isEmpty();
        }
    }
}
