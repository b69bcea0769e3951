package dev.pushserver.api;

import static dev.pushserver.api.ApiSupport.EVENTS;
import static dev.pushserver.api.ApiSupport.assertNothingDelivered;
import static dev.pushserver.api.ApiSupport.event;
import static dev.pushserver.api.ApiSupport.single;
import static dev.pushserver.api.ApiSupport.trigger;
import static dev.pushserver.testing.AppsYaml.app;
import static dev.pushserver.testing.AppsYaml.apps;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rejected HTTP API requests (reference §4.1, §4.3, §6): each gets the documented status and a JSON
 * {@code {"error":"..."}} saying what is wrong, and nothing is delivered. Also routing (404/405), size limits (413)
 * and HTTP keep-alive.
 */
class ApiErrorsTest extends SubscribedChannelFixture {

    @RegisterExtension
    static final TestServer server = TestServer.perClass(TestServer.DEFAULT_APPS);

    @Override
    TestServer server() {
        return server;
    }

    @Override
    String channelPrefix() {
        return "err-";
    }

    static int port() {
        return server.apiPort();
    }

    /** Status, JSON content type and an error text containing {@code part}. */
    static void assertError(SignedRequest.Response r, int status, String part) {
        assertThat(r.status()).as("%s", r).isEqualTo(status);
        assertThat(r.contentType()).as("content type of %s", r).startsWith("application/json");
        assertThat(r.error()).as("error of %s", r).containsIgnoringCase(part);
    }

    void assertNothing() throws Exception {
        assertNothingDelivered(port(), channel, sub);
    }

    // ---- routing --------------------------------------------------------------------------------------------

    @Test
    void unknownAppIdIs404() throws Exception {
        SignedRequest.Response r = SignedRequest.post(port(), "/apps/no-such-app/events",
                single("x", channel, "d").toString()).send();
        assertError(r, 404, "Unknown app id");
        assertThat(r.body()).as("the request path is not echoed").doesNotContain("no-such-app");
        assertNothing();
        assertError(SignedRequest.get(port(), "/apps/no-such-app/channels").send(), 404, "Unknown app id");
    }

    @Test
    void unknownPathsAre404() {
        for (String path : List.of("/apps/app-1/nothing", "/apps/app-1", "/apps/app-1/", "/apps/app-1/channels/",
                "/apps/app-1/channels/x/y/z", "/apps/app-1/users/u1", "/apps/app-1/users/u1/terminate",
                "/apps/app-1/events/extra", "/nothing", "/apps")) {
            SignedRequest.Response r = SignedRequest.get(port(), path).send();
            assertThat(r.status()).as("%s for %s", r, path).isEqualTo(404);
            assertThat(r.contentType()).startsWith("application/json");
            r.error();
        }
    }

    @Test
    void pathThatOnlyDecodesToAnApiPathIs404Json() {
        // "%2Fapps%2F" decodes to "/apps/" but the raw path has no "/apps/" segment
        SignedRequest.Response r = SignedRequest.get(port(), "/x/apps/app-1/channels")
                .urlPath("/x%2Fapps%2Fapp-1%2Fchannels").send();
        assertThat(r.status()).as("%s", r).isEqualTo(404);
        r.error();
    }

    @Test
    void wrongMethodIs405() throws Exception {
        SignedRequest.Response get = SignedRequest.get(port(), EVENTS).send();
        assertError(get, 405, "POST");
        assertThat(get.headers().firstValue("allow")).hasValue("POST");
        assertError(SignedRequest.get(port(), "/apps/app-1/batch_events").send(), 405, "POST");
        SignedRequest.Response post = SignedRequest.post(port(), "/apps/app-1/channels", "{}").send();
        assertError(post, 405, "GET");
        assertThat(post.headers().firstValue("allow")).hasValue("GET");
        SignedRequest.Response put = SignedRequest.method(port(), "PUT", EVENTS)
                .body(single("x", channel, "d").toString()).send();
        assertError(put, 405, "POST");
        SignedRequest.Response delete = SignedRequest.method(port(), "DELETE", "/apps/app-1/channels/" + channel)
                .send();
        assertError(delete, 405, "GET");
        assertNothing();
    }

    // ---- body ----------------------------------------------------------------------------------------------

    @Test
    void nonJsonBodiesAre400() throws Exception {
        for (String body : List.of("name=x&channel=c&data=d", "{\"name\":\"x\",", "\"a string\"", "42", "null",
                "[{\"name\":\"x\",\"channels\":[\"" + channel + "\"],\"data\":\"d\"}]")) {
            SignedRequest.Response r = trigger(port(), body);
            assertThat(r.status()).as("%s for body %s", r, body).isEqualTo(400);
            assertThat(r.error()).containsIgnoringCase("JSON");
        }
        assertNothing();
    }

    @Test
    void emptyBodyIs400() throws Exception {
        assertError(SignedRequest.method(port(), "POST", EVENTS).send(), 400, "body");
        assertNothing();
    }

    @Test
    void jsonWithTrailingGarbageIs400() throws Exception {
        String body = single("x", channel, "d") + " trailing garbage";
        assertError(trigger(port(), body), 400, "JSON");
        assertNothing();
    }

    @Test
    void missingOrWrongNameIs400() throws Exception {
        ObjectNode noName = single("x", channel, "d");
        noName.remove("name");
        assertError(trigger(port(), noName.toString()), 400, "name");
        assertError(trigger(port(), single("x", channel, "d").put("name", 5).toString()), 400, "name");
        assertError(trigger(port(), single("", channel, "d").toString()), 400, "name");
        assertError(trigger(port(), single("n".repeat(201), channel, "d").toString()), 400, "name");
        assertNothing();
    }

    @Test
    void missingDataIs400() throws Exception {
        ObjectNode noData = single("x", channel, "d");
        noData.remove("data");
        assertError(trigger(port(), noData.toString()), 400, "data");
        ObjectNode nullData = single("x", channel, "d");
        nullData.putNull("data");
        assertError(trigger(port(), nullData.toString()), 400, "data");
        assertNothing();
    }

    @Test
    void dataOverTheLimitIs413AndExactlyTheLimitIsAccepted() throws Exception {
        // 10240 bytes of UTF-8 made of 2-byte characters: the limit counts bytes, not characters
        String exact = "é".repeat(5120);
        SignedRequest.Response ok = trigger(port(), single("max", channel, exact).toString());
        assertThat(ok.status()).as("%s", ok).isEqualTo(200);
        assertThat(sub.nextEvent().get("data").asText()).isEqualTo(exact);
        String over = exact + "x";
        assertError(trigger(port(), single("over", channel, over).toString()), 413, "10240");
        assertError(trigger(port(), single("over", channel, "x".repeat(10241)).toString()), 413, "10240");
        assertNothing();
    }

    // ---- channels ------------------------------------------------------------------------------------------

    @Test
    void missingChannelsIs400() throws Exception {
        ObjectNode none = single("x", channel, "d");
        none.remove("channel");
        assertError(trigger(port(), none.toString()), 400, "channel");
        assertError(trigger(port(), event("x", List.of(), "d").toString()), 400, "channel");
        ObjectNode notArray = single("x", channel, "d");
        notArray.remove("channel");
        notArray.put("channels", channel);
        assertError(trigger(port(), notArray.toString()), 400, "channels");
        ObjectNode notStrings = single("x", channel, "d");
        notStrings.remove("channel");
        notStrings.putArray("channels").add(1);
        assertError(trigger(port(), notStrings.toString()), 400, "channels");
        assertNothing();
    }

    @Test
    void moreThan100ChannelsIs400() throws Exception {
        List<String> channels = new ArrayList<>();
        channels.add(channel);
        for (int i = 1; i <= 100; i++) {
            channels.add("other-" + i);
        }
        assertError(trigger(port(), event("x", channels, "d").toString()), 400, "100");
        assertNothing();
    }

    @Test
    void invalidChannelNamesAre400() throws Exception {
        for (String bad : List.of("with space", "star*", "#not-server-to-user", "#server-to-user-", "slash/x", "ä",
                "quote\"")) {
            SignedRequest.Response r = trigger(port(), event("x", List.of(channel, bad), "d").toString());
            assertThat(r.status()).as("%s for %s", r, bad).isEqualTo(400);
            assertThat(r.error()).as("error names the channel").contains(bad);
            SignedRequest.Response single = trigger(port(), single("x", bad, "d").toString());
            assertThat(single.status()).as("%s for %s", single, bad).isEqualTo(400);
        }
        assertNothing();
    }

    @Test
    void channelNameOver200CharactersIs400() throws Exception {
        String longName = "c".repeat(201);
        assertError(trigger(port(), event("x", List.of(channel, longName), "d").toString()), 400, "200");
        assertNothing();
    }

    @Test
    void invalidSocketIdIs400() throws Exception {
        for (String bad : List.of("abc", "1.2.3", "1.", ".1", "12", "1.a", " 1.2", "-1.2")) {
            SignedRequest.Response r = trigger(port(), single("x", channel, "d").put("socket_id", bad).toString());
            assertThat(r.status()).as("%s for socket_id %s", r, bad).isEqualTo(400);
            assertThat(r.error()).contains("socket_id");
        }
        SignedRequest.Response number = trigger(port(), single("x", channel, "d").put("socket_id", 1.2).toString());
        assertThat(number.status()).as("%s", number).isEqualTo(400);
        assertNothing();
    }

    @Test
    void encryptedChannelMixedWithOthersIs400() throws Exception {
        assertError(trigger(port(), event("x", List.of(channel, "private-encrypted-x"), "d").toString()), 400,
                "encrypted");
        assertError(trigger(port(), event("x", List.of("private-encrypted-a", "private-encrypted-b"), "d")
                .toString()), 400, "encrypted");
        assertNothing();
    }

    // ---- limits from configuration --------------------------------------------------------------------------

    @Test
    void configuredLimitsAreEnforced() throws Exception {
        try (TestServer small = TestServer.start("max_request_body_size: 2048\n" + apps(app(1, "max_event_payload: 100",
                "max_channels_per_trigger: 3", "max_channel_name_length: 20", "max_event_name_length: 10")));
                Subscriber s = Subscriber.connect(small).subscribe("small")) {
            int p = small.apiPort();
            assertThat(trigger(p, single("e", "small", "x".repeat(100)).toString()).status()).isEqualTo(200);
            assertError(trigger(p, single("e", "small", "x".repeat(101)).toString()), 413, "100");
            assertThat(trigger(p, event("e", List.of("small", "a", "b"), "d").toString()).status()).isEqualTo(200);
            assertError(trigger(p, event("e", List.of("small", "a", "b", "c"), "d").toString()), 400, "3");
            assertThat(trigger(p, single("e", "c".repeat(20), "d").toString()).status()).isEqualTo(200);
            assertError(trigger(p, single("e", "c".repeat(21), "d").toString()), 400, "20");
            assertThat(trigger(p, single("n".repeat(10), "small", "d").toString()).status()).isEqualTo(200);
            assertError(trigger(p, single("n".repeat(11), "small", "d").toString()), 400, "10");
            assertThat(s.eventsBefore("n".repeat(10))).extracting(n -> n.get("data").asText())
                    .containsExactly("x".repeat(100), "d");
            assertNothingDelivered(p, "small", s);
        }
    }

    @Test
    void requestBodyOverMaxRequestBodySizeIs413Json() throws Exception {
        try (TestServer small = TestServer.start("max_request_body_size: 2048\n" + apps(app(1)));
                Subscriber s = Subscriber.connect(small).subscribe("body")) {
            // repeated: a server that closes before reading the body loses its 413 to a TCP reset now and then
            List<String> failures = new ArrayList<>();
            for (int size : new int[] {2049, 4000, 16_000, 100_000}) {
                for (int i = 0; i < 5; i++) {
                    String body = event("e", List.of("body"), "x".repeat(size)).toString();
                    try {
                        SignedRequest.Response r = SignedRequest.post(small.apiPort(), EVENTS, body).send();
                        assertError(r, 413, "2048");
                    } catch (AssertionError e) {
                        failures.add(size + " bytes, try " + i + ": " + e.getMessage());
                    }
                }
            }
            assertThat(failures).as("requests that did not get a JSON 413").isEmpty();
            assertNothingDelivered(small.apiPort(), "body", s);
        }
    }

    @Test
    void oversizeBodyAnswerLeavesTheConnectionUsableOrSaysItIsClosed() throws Exception {
        try (TestServer small = TestServer.start("max_request_body_size: 2048\n" + apps(app(1)));
                Socket socket = new Socket("127.0.0.1", small.apiPort())) {
            socket.setSoTimeout(5_000);
            byte[] body = event("e", List.of("body"), "x".repeat(4000)).toString().getBytes(StandardCharsets.UTF_8);
            SignedRequest req = SignedRequest.post(small.apiPort(), EVENTS, new String(body, StandardCharsets.UTF_8));
            String head = "POST " + req.uri().getRawPath() + "?" + req.uri().getRawQuery() + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            HttpMessage resp = HttpMessage.read(new BufferedInputStream(socket.getInputStream()));
            assertThat(resp.status).isEqualTo(413);
            assertThat(SignedRequest.JSON.readTree(resp.body).path("error").asText()).contains("2048");
            // an HTTP/1.1 client keeps the connection for the next request unless told otherwise: either the
            // server says Connection: close, or the connection really is still usable
            if (!"close".equalsIgnoreCase(resp.header("connection"))) {
                SignedRequest ok = SignedRequest.get(small.apiPort(), "/apps/app-1/channels");
                String get = "GET " + ok.uri().getRawPath() + "?" + ok.uri().getRawQuery() + " HTTP/1.1\r\n"
                        + "Host: 127.0.0.1\r\n\r\n";
                socket.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                HttpMessage next = HttpMessage.read(new BufferedInputStream(socket.getInputStream()));
                assertThat(next.status).as("request after the 413 on the same connection").isEqualTo(200);
            }
        }
    }

    @Test
    void bodyOverTheDefaultMaximumIs413Json() throws Exception {
        // 1 MiB default: an SDK batch this large must get a JSON 413, not a reset connection
        String body = event("e", List.of(channel), "x".repeat(1_100_000)).toString();
        SignedRequest.Response r = SignedRequest.post(port(), EVENTS, body).send();
        assertError(r, 413, "1048576");
        assertNothing();
    }

    // ---- keep-alive -----------------------------------------------------------------------------------------

    @Test
    void severalRequestsOnOneKeptAliveConnection() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            List<Integer> statuses = new ArrayList<>();
            for (String name : List.of("ka-1", "bad-signature", "ka-2", "query", "ka-3")) {
                SignedRequest req = name.equals("query") ? SignedRequest.get(port(), "/apps/app-1/channels")
                        : SignedRequest.post(port(), EVENTS, single(name, channel, "d").toString());
                if (name.equals("bad-signature")) {
                    req.signature("f".repeat(64));
                }
                byte[] body = name.equals("query") ? new byte[0]
                        : single(name, channel, "d").toString().getBytes(StandardCharsets.UTF_8);
                String head = (name.equals("query") ? "GET " : "POST ") + req.uri().getRawPath() + "?"
                        + req.uri().getRawQuery() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                HttpMessage resp = HttpMessage.read(in);
                statuses.add(resp.status);
                assertThat(resp.header("connection")).as("response to %s", name).isNotEqualToIgnoringCase("close");
                assertThat(SignedRequest.JSON.readTree(resp.body).isObject()).isTrue();
            }
            assertThat(statuses).containsExactly(200, 401, 200, 200, 200);
            assertThat(sub.eventsBefore("ka-3")).extracting(n -> n.get("event").asText())
                    .containsExactly("ka-1", "ka-2");
        }
    }

    @Test
    void expect100ContinueIsHonoured() throws Exception {
        // curl (and so PHP / Guzzle for large bodies) sends Expect: 100-continue and waits for the interim answer
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(5_000);
            String json = single("continued", channel, "x".repeat(2000)).toString();
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            SignedRequest req = SignedRequest.post(port(), EVENTS, json);
            String head = "POST " + req.uri().getRawPath() + "?" + req.uri().getRawQuery() + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            HttpMessage interim = HttpMessage.read(in);
            assertThat(interim.status).isEqualTo(100);
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            HttpMessage resp = HttpMessage.read(in);
            assertThat(resp.status).as(resp.body).isEqualTo(200);
            assertThat(resp.body).isEqualTo("{}");
            assertThat(sub.nextEvent().get("event").asText()).isEqualTo("continued");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(5_000);
            StringBuilder all = new StringBuilder();
            List<String> names = List.of("p-1", "p-2", "p-3");
            for (String name : names) {
                byte[] body = single(name, channel, "d").toString().getBytes(StandardCharsets.UTF_8);
                SignedRequest req = SignedRequest.post(port(), EVENTS, single(name, channel, "d").toString());
                all.append("POST ").append(req.uri().getRawPath()).append('?').append(req.uri().getRawQuery())
                        .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
                        .append("Content-Length: ").append(body.length).append("\r\n\r\n")
                        .append(new String(body, StandardCharsets.UTF_8));
            }
            socket.getOutputStream().write(all.toString().getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            for (String name : names) {
                HttpMessage resp = HttpMessage.read(in);
                assertThat(resp.status).as("response to %s: %s", name, resp.body).isEqualTo(200);
                assertThat(resp.body).isEqualTo("{}");
            }
            assertThat(sub.eventsBefore("p-3")).extracting(n -> n.get("event").asText())
                    .containsExactly("p-1", "p-2");
        }
    }

    /** A minimal HTTP/1.1 response reader (status, headers, Content-Length body). */
    record HttpMessage(int status, java.util.Map<String, String> headers, String body) {

        String header(String name) {
            return headers.getOrDefault(name, "");
        }

        static HttpMessage read(InputStream in) throws IOException {
            String statusLine = line(in);
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            for (String l = line(in); !l.isEmpty(); l = line(in)) {
                int colon = l.indexOf(':');
                headers.put(l.substring(0, colon).trim().toLowerCase(), l.substring(colon + 1).trim());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            return new HttpMessage(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (c != '\r') {
                    b.write(c);
                }
            }
            if (c == -1 && b.size() == 0) {
                throw new IOException("connection closed by the server");
            }
            return b.toString(StandardCharsets.US_ASCII);
        }
    }
}
