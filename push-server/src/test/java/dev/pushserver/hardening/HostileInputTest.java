package dev.pushserver.hardening;

import static dev.pushserver.hardening.Hardening.assertMemoryBounded;
import static dev.pushserver.hardening.Hardening.assertResponsive;
import static dev.pushserver.hardening.Hardening.memory;
import static dev.pushserver.hardening.Hardening.report;
import static dev.pushserver.hardening.HardeningYaml.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.Signing;
import dev.pushserver.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8, rows 6, 7 and 8: input that cannot break replies (lone UTF-16 surrogates are refused before any state
 * changes), logs that clients cannot forge or flood, and a bad frame sent together with the upgrade request.
 *
 * <p>A lone surrogate is written as the JSON escape {@code \ud800} (six ASCII characters) in the text on the wire:
 * valid JSON that decodes to a string Jackson cannot encode as UTF-8 again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileInputTest {

    private static final ObjectMapper JSON = RawClient.json();
    /** The JSON escape of a lone high surrogate, as it appears in JSON text. */
    private static final String LONE = "\\ud800";
    private static final String PRESENCE = "presence-room";

    private static String hostileYaml() {
        return yaml().build();
    }

    /**
     * Row 6: 20 validly signed presence members whose {@code user_info} holds a lone surrogate. Each gets
     * {@code pusher:error} (code null) and a {@code pusher:subscription_error}; none is counted (the users API does
     * not list them); later members get {@code subscription_succeeded} with only themselves; nothing is logged at
     * ERROR and no stack trace is logged.
     */
    @Test
    void row6_presenceMemberWithALoneSurrogateIsRefusedBeforeItIsCounted() throws Exception {
        String test = "row6_surrogateMember";
        Hardening.Checks checks = new Hardening.Checks(test);
        try (LogCapture logs = LogCapture.start(); TestServer server = TestServer.start(hostileYaml())) {
            assertResponsive(test, server);
            Hardening.Memory before = memory();
            List<RawClient> attackers = new ArrayList<>();
            try {
                List<String> answers = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    RawClient a = RawClient.connect(server.wsUrl("key-1"));
                    attackers.add(a);
                    String channelData = "{\"user_id\":\"evil-" + i + "\",\"user_info\":{\"name\":\"x" + LONE
                            + "y\"}}";
                    a.send(presenceSubscribeRaw(a.socketId(), PRESENCE, channelData));
                    List<JsonNode> got = ChannelCapsTest.untilPong(a);
                    answers.add(events(got));
                    if (i == 0) {
                        report(test, "first attacker got " + got);
                    }
                    int n = i;
                    checks.check("attacker " + i, () -> assertRefusedSubscribe(got, PRESENCE, "attacker " + n));
                }
                report(test, "answers to the 20 attackers: " + answers.stream().distinct().toList());
                RawHttp.Response users = RawHttp.send(server.apiPort(),
                        SignedRequest.get(server.apiPort(), "/apps/app-1/channels/" + PRESENCE + "/users"), "GET",
                        null);
                report(test, "users API: " + users);
                checks.check("not counted", () -> {
                    assertThat(users.status()).as("%s", users).isEqualTo(200);
                    assertThat(users.body()).as("refused members listed by the users API").doesNotContain("evil");
                });
                for (String good : List.of("good-1", "good-2")) {
                    try (RawClient member = RawClient.connect(server.wsUrl("key-1"))) {
                        String channelData = "{\"user_id\":\"" + good + "\",\"user_info\":{\"name\":\"Good\"}}";
                        member.send(Messages.subscribePresence("key-1", "secret-1", member.socketId(), PRESENCE,
                                channelData));
                        List<JsonNode> got = ChannelCapsTest.untilPong(member);
                        report(test, good + " got " + got);
                        checks.check(good, () -> {
                            JsonNode ok = got.stream().filter(n -> n.path("event").asText()
                                    .equals("pusher_internal:subscription_succeeded")).findFirst()
                                    .orElseThrow(() -> new AssertionError("no subscription_succeeded: " + got));
                            JsonNode presence = JSON.readTree(ok.path("data").asText()).path("presence");
                            assertThat(presence.path("count").asInt()).as("%s", presence).isEqualTo(1);
                            assertThat(presence.path("ids").toString()).contains(good).doesNotContain("evil");
                        });
                    }
                }
                checks.check("logs", () -> assertNoErrorsOrStackTraces(logs));
                checks.check("responsive", () -> assertResponsive(test, server));
                checks.check("memory", () -> assertMemoryBounded(test, before));
            } finally {
                attackers.forEach(RawClient::close);
            }
        }
        checks.verify();
    }

    /** A lone surrogate in a presence {@code user_id} is refused the same way, and the member is not counted. */
    @Test
    void presenceUserIdWithALoneSurrogateIsRefused() throws Exception {
        try (LogCapture logs = LogCapture.start(); TestServer server = TestServer.start(hostileYaml());
                RawClient a = RawClient.connect(server.wsUrl("key-1"))) {
            a.send(presenceSubscribeRaw(a.socketId(), PRESENCE, "{\"user_id\":\"evil" + LONE + "\"}"));
            List<JsonNode> got = ChannelCapsTest.untilPong(a);
            report("surrogateUserId", "got " + got);
            assertRefusedSubscribe(got, PRESENCE, "user_id with a lone surrogate");
            RawHttp.Response users = RawHttp.send(server.apiPort(),
                    SignedRequest.get(server.apiPort(), "/apps/app-1/channels/" + PRESENCE + "/users"), "GET", null);
            assertThat(users.status()).as("%s", users).isEqualTo(200);
            assertThat(users.body()).doesNotContain("evil");
            assertNoErrorsOrStackTraces(logs);
        }
    }

    /**
     * HTTP API: an event whose name or data holds a lone surrogate (single and batch trigger) is answered 400 and
     * nothing is delivered (the next event a subscriber sees is a marker triggered afterwards).
     */
    @Test
    void httpTriggersWithALoneSurrogateAre400AndDeliverNothing() throws Exception {
        Hardening.Checks checks = new Hardening.Checks("surrogateTrigger");
        try (LogCapture logs = LogCapture.start(); TestServer server = TestServer.start(hostileYaml());
                RawClient sub = RawClient.connect(server.wsUrl("key-1"))) {
            sub.socketId();
            sub.send(Messages.subscribe("sur-ch"));
            sub.nextEvent("pusher_internal:subscription_succeeded");
            List<String[]> bodies = List.of(
                    new String[] {"/apps/app-1/events", "{\"name\":\"ev" + LONE + "\",\"channel\":\"sur-ch\",\"data\":\"d\"}"},
                    new String[] {"/apps/app-1/events", "{\"name\":\"ev\",\"channel\":\"sur-ch\",\"data\":\"d" + LONE + "\"}"},
                    new String[] {"/apps/app-1/events", "{\"name\":\"ev\",\"channels\":[\"sur-ch\"],\"data\":\"{\\\"a\\\":\\\"" + LONE + "\\\"}\"}"},
                    new String[] {"/apps/app-1/batch_events", "{\"batch\":[{\"name\":\"ev\",\"channel\":\"sur-ch\",\"data\":\"ok\"},"
                            + "{\"name\":\"ev\",\"channel\":\"sur-ch\",\"data\":\"d" + LONE + "\"}]}"});
            for (String[] b : bodies) {
                SignedRequest req = SignedRequest.post(server.apiPort(), b[0], b[1]);
                RawHttp.Response r = RawHttp.send(server.apiPort(), req, "POST", b[1].getBytes(StandardCharsets.UTF_8));
                report("surrogateTrigger", b[1] + " -> " + r);
                checks.check(b[1], () -> {
                    assertThat(r.status()).as("%s for %s", r, b[1]).isEqualTo(400);
                    assertThat(JSON.readTree(r.body()).path("error").asText()).isNotBlank();
                });
            }
            RawHttp.Response marker = Hardening.trigger(server, "sur-ch", "marker", "m");
            assertThat(marker.status()).isEqualTo(200);
            List<String> before = new ArrayList<>();
            while (true) {
                JsonNode n = sub.nextJson();
                if (n.path("event").asText().equals("marker")) {
                    break;
                }
                before.add(n.toString());
            }
            checks.check("nothing delivered", () -> assertThat(before).as("delivered before the marker").isEmpty());
            checks.check("logs", () -> assertNoErrorsOrStackTraces(logs));
        }
        checks.verify();
    }

    /**
     * Client events whose name or data holds a lone surrogate are refused with {@code pusher:error} and not relayed;
     * a valid client event afterwards is the next thing the other member sees.
     */
    @Test
    void clientEventsWithALoneSurrogateAreRefusedAndNotRelayed() throws Exception {
        Hardening.Checks checks = new Hardening.Checks("surrogateClientEvent");
        String channel = "private-sur";
        try (LogCapture logs = LogCapture.start(); TestServer server = TestServer.start(hostileYaml());
                RawClient sender = RawClient.connect(server.wsUrl("key-1"));
                RawClient receiver = RawClient.connect(server.wsUrl("key-1"))) {
            sender.send(Messages.subscribeSigned("key-1", "secret-1", sender.socketId(), channel));
            sender.nextEvent("pusher_internal:subscription_succeeded");
            receiver.send(Messages.subscribeSigned("key-1", "secret-1", receiver.socketId(), channel));
            receiver.nextEvent("pusher_internal:subscription_succeeded");
            for (String bad : List.of(
                    "{\"event\":\"client-x" + LONE + "\",\"channel\":\"" + channel + "\",\"data\":{}}",
                    "{\"event\":\"client-x\",\"channel\":\"" + channel + "\",\"data\":{\"a\":\"" + LONE + "\"}}",
                    "{\"event\":\"client-x\",\"channel\":\"" + channel + "\",\"data\":\"" + LONE + "\"}")) {
                sender.send(bad);
                List<JsonNode> got = ChannelCapsTest.untilPong(sender);
                report("surrogateClientEvent", bad + " -> " + got);
                checks.check(bad, () -> assertThat(got).extracting(n -> n.path("event").asText())
                        .as("answer to %s", bad).contains("pusher:error"));
            }
            sender.send(Messages.clientEvent("client-ok", channel, "{\"ok\":true}"));
            JsonNode next = receiver.nextJson();
            report("surrogateClientEvent", "receiver's next message: " + next);
            checks.check("not relayed", () -> assertThat(next.path("event").asText())
                    .as("the receiver's next message: %s", next).isEqualTo("client-ok"));
            checks.check("logs", () -> assertNoErrorsOrStackTraces(logs));
        }
        checks.verify();
    }

    /** A validly signed {@code pusher:signin} whose user_data holds a lone surrogate gets no signin_success. */
    @Test
    void signinWithALoneSurrogateInUserDataIsRefused() throws Exception {
        try (LogCapture logs = LogCapture.start(); TestServer server = TestServer.start(hostileYaml());
                RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            String socketId = c.socketId();
            // the id itself is restricted to A-Z a-z 0-9 _ - = @ , . ; so the surrogate goes into user_info
            String userData = "{\"id\":\"evil-signin\",\"user_info\":{\"name\":\"n" + LONE + "\"}}";
            String auth = Signing.userAuth("key-1", "secret-1", socketId, userData);
            c.send("{\"event\":\"pusher:signin\",\"data\":{\"auth\":" + Messages.quote(auth) + ",\"user_data\":"
                    + jsonStringOf(userData) + "}}");
            List<JsonNode> got = new ArrayList<>();
            for (String m = c.next(3_000); m != null; m = c.next(1_000)) {
                got.add(JSON.readTree(m));
                if (got.get(got.size() - 1).path("event").asText().equals("pusher:error")) {
                    break;
                }
            }
            report("surrogateSignin", "got " + got + ", close code " + c.closeCode(0));
            assertThat(got).extracting(n -> n.path("event").asText()).as("answer to the signin")
                    .doesNotContain("pusher:signin_success").contains("pusher:error");
            assertNoErrorsOrStackTraces(logs);
        }
    }

    /**
     * Row 7: values from clients cannot forge log lines. Event names, channel names and API event names carrying
     * {@code \n<marker>} (some with a lone surrogate, which made the unprotected server log them with a stack trace)
     * never put the marker at the start of a log line, and a 5000-character value is not logged whole.
     */
    @Test
    void row7_clientValuesCannotForgeOrFloodLogLines() throws Exception {
        String test = "row7_logForging";
        String marker = "FORGED-" + Long.toString(ThreadLocalRandom.current().nextLong(Long.MAX_VALUE), 36);
        String longRun = "y".repeat(5000);
        String nl = "\\n" + marker + " ERROR dev.pushserver.Fake - forged";
        Hardening.Checks checks = new Hardening.Checks(test);
        try (LogCapture logs = LogCapture.start(); TestServer server = TestServer.start(hostileYaml());
                RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            String socketId = c.socketId();
            c.send(Messages.subscribeSigned("key-1", "secret-1", socketId, "private-log"));
            c.nextEvent("pusher_internal:subscription_succeeded");
            List<String> attacks = List.of(
                    "{\"event\":\"pusher:nope" + LONE + nl + "\",\"data\":{}}",
                    "{\"event\":\"nope" + nl + "\",\"data\":{}}",
                    "{\"event\":\"client-x" + nl + "\",\"channel\":\"private-log\",\"data\":{\"a\":\"" + LONE + "\"}}",
                    "{\"event\":\"client-x" + nl + "\",\"channel\":\"private-log\",\"data\":{}}",
                    "{\"event\":\"client-x\",\"channel\":\"private-nope" + nl + "\",\"data\":{}}",
                    "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"bad" + nl + "\"}}",
                    "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"presence-log\",\"auth\":\"key-1:x\","
                            + "\"channel_data\":\"{\\\"user_id\\\":\\\"u" + LONE + "\\\\n" + marker + "\\\"}\"}}",
                    "{\"event\":\"pusher:nope" + LONE + longRun + nl + "\",\"data\":{}}",
                    "{\"event\":\"client-" + longRun + nl + "\",\"channel\":\"private-log\",\"data\":{\"a\":\""
                            + LONE + "\"}}");
            for (String a : attacks) {
                c.send(a);
            }
            ChannelCapsTest.untilPong(c);
            String apiBody = "{\"name\":\"ev" + nl + "\",\"channel\":\"log-ch\",\"data\":\"d" + LONE + "\"}";
            RawHttp.Response api = RawHttp.send(server.apiPort(), SignedRequest.post(server.apiPort(),
                    "/apps/app-1/events", apiBody), "POST", apiBody.getBytes(StandardCharsets.UTF_8));
            report(test, "API trigger with a forged name: " + api);
            Thread.sleep(200); // generous: let the last log events land
            List<ILoggingEvent> events = logs.serverEvents();
            List<String> forged = new ArrayList<>();
            List<String> whole = new ArrayList<>();
            for (ILoggingEvent e : events) {
                String text = LogCapture.render(e);
                if (text.contains("\n" + marker) || text.contains("\r" + marker)) {
                    forged.add(firstLines(text));
                }
                if (text.contains(longRun)) {
                    whole.add(e.getLevel() + " " + e.getLoggerName() + " (" + e.getFormattedMessage().length()
                            + " chars)");
                }
            }
            report(test, events.size() + " server log events; " + forged.size() + " with a forged line; "
                    + whole.size() + " with the whole 5000-character value; levels "
                    + events.stream().map(e -> e.getLevel().toString()).distinct().toList());
            forged.stream().limit(3).forEach(f -> report(test, "forged: " + f));
            checks.check("no forged line", () -> assertThat(forged).as("log events with a line starting with the"
                    + " client's marker").isEmpty());
            checks.check("truncated", () -> assertThat(whole).as("log events holding a 5000-character client value")
                    .isEmpty());
            checks.check("no ERROR, no stack traces", () -> assertNoErrorsOrStackTraces(logs));
            checks.check("responsive", () -> assertResponsive(test, server));
        }
        checks.verify();
    }

    /**
     * Errors a client can cause are logged at WARN at most once per connection per second: 300 client events with a
     * lone surrogate in their data (each of which made the unprotected server log an ERROR with a stack trace) from
     * one connection give at most one WARN line per second, none at ERROR, no stack trace. The message and client
     * event rate limits are set out of the way so that all 300 are handled.
     */
    @Test
    void errorsAClientCausesAreLoggedAtMostOncePerSecondWithoutStackTraces() throws Exception {
        String test = "logRate";
        String yaml = yaml().app("max_messages_per_second: 1000000", "max_client_events_per_second: 1000000").build();
        try (LogCapture logs = LogCapture.start(); TestServer server = TestServer.start(yaml);
                RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
            c.send(Messages.subscribeSigned("key-1", "secret-1", c.socketId(), "private-lograte"));
            c.nextEvent("pusher_internal:subscription_succeeded");
            logs.clear();
            long start = System.nanoTime();
            for (int i = 0; i < 300; i++) {
                c.send("{\"event\":\"client-bad\",\"channel\":\"private-lograte\",\"data\":{\"n\":" + i
                        + ",\"a\":\"" + LONE + "\"}}");
            }
            List<JsonNode> answers = ChannelCapsTest.untilPong(c);
            double seconds = (System.nanoTime() - start) / 1e9;
            List<ILoggingEvent> events = logs.serverEvents();
            long warnOrAbove = events.stream().filter(e -> LogCapture.atLeast(e, Level.WARN)).count();
            long errors = events.stream().filter(e -> LogCapture.atLeast(e, Level.ERROR)).count();
            long traces = events.stream().filter(e -> e.getThrowableProxy() != null).count();
            long lines = events.stream().mapToLong(e -> LogCapture.render(e).lines().count()).sum();
            report(test, String.format("300 bad client events in %.2f s (%d answers): %d WARN+ events (%d ERROR,"
                    + " %d with a stack trace), %d log lines", seconds, answers.size(), warnOrAbove, errors, traces,
                    lines));
            assertThat(errors).as("ERROR events for client-caused errors").isZero();
            assertThat(traces).as("stack traces for client-caused errors").isZero();
            assertThat(warnOrAbove).as("WARN events from one connection in %.2f s", seconds)
                    .isLessThanOrEqualTo((long) Math.ceil(seconds) + 1);
        }
    }

    /**
     * Row 8: a bad frame (unmasked, or with a reserved bit set) sent in the same TCP write as the upgrade request is
     * answered with a close frame 1002 within 5 s (not after the liveness timeout, 120 s here); 50 such connections
     * at once leave the server serving normal clients.
     */
    @Test
    void row8_aBadFrameSentWithTheUpgradeRequestIsClosedWith1002Promptly() throws Exception {
        String test = "row8_badFrameWithUpgrade";
        Hardening.Checks checks = new Hardening.Checks(test);
        byte[] ping = Messages.PING.getBytes(StandardCharsets.UTF_8);
        byte[] unmasked = new byte[2 + ping.length];
        unmasked[0] = (byte) 0x81;
        unmasked[1] = (byte) ping.length;
        System.arraycopy(ping, 0, unmasked, 2, ping.length);
        byte[] reservedBit = RawWs.masked(0x80 | 0x40 | 0x1, ping);
        try (TestServer server = TestServer.start(hostileYaml())) {
            assertResponsive(test, server);
            Hardening.Memory before = memory();
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
                    s.setTcpNoDelay(true);
                    sockets.add(s);
                    ByteArrayOutputStream one = new ByteArrayOutputStream();
                    one.write(RawWs.upgradeRequest());
                    one.write(i % 2 == 0 ? unmasked : reservedBit);
                    s.getOutputStream().write(one.toByteArray()); // one write: the frame travels with the upgrade
                    s.getOutputStream().flush();
                }
                long deadline = System.currentTimeMillis() + 5_000;
                List<String> outcomes = new ArrayList<>();
                int closed1002 = 0;
                for (Socket s : sockets) {
                    s.setSoTimeout((int) Math.max(1, deadline - System.currentTimeMillis()));
                    String status;
                    try {
                        status = RawWs.readHead(s.getInputStream());
                    } catch (java.io.IOException noAnswer) {
                        status = "no upgrade answer: " + noAnswer;
                    }
                    s.setSoTimeout(200);
                    RawWs.Ending e = RawWs.readUntilClose(s.getInputStream(),
                            Math.max(1, deadline - System.currentTimeMillis()));
                    String outcome = (status.contains(" 101 ") ? "101" : status) + " close "
                            + e.closeCode() + (e.ended() ? " ended" : "");
                    outcomes.add(outcome);
                    if (e.closeCode() != null && e.closeCode() == 1002) {
                        closed1002++;
                    }
                }
                report(test, "50 upgrades with a bad frame: " + outcomes.stream().distinct().toList() + "; "
                        + closed1002 + " closed with 1002 within 5 s");
                int n = closed1002;
                checks.check("closed 1002", () -> assertThat(n)
                        .as("connections closed with 1002 within 5 s: %s", outcomes.stream().distinct().toList())
                        .isEqualTo(50));
                checks.check("responsive", () -> assertResponsive(test, server));
                checks.check("memory", () -> assertMemoryBounded(test, before));
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
        checks.verify();
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /** A presence subscribe signed over the exact channel_data text (which may hold JSON escapes). */
    private static String presenceSubscribeRaw(String socketId, String channel, String channelData) {
        String auth = Signing.channelAuth("key-1", "secret-1", socketId, channel, channelData);
        return "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":" + Messages.quote(channel) + ",\"auth\":"
                + Messages.quote(auth) + ",\"channel_data\":" + jsonStringOf(channelData) + "}}";
    }

    /**
     * {@code text} as a JSON string literal, escaping only quotes and backslashes: the JSON escapes inside it (e.g.
     * {@code \ud800}) reach the server as the same six characters after the outer string is decoded.
     */
    private static String jsonStringOf(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** A refused subscribe: pusher:error with code null, a subscription_error for the channel, no success. */
    private static void assertRefusedSubscribe(List<JsonNode> got, String channel, String who) {
        assertThat(got).as("%s: %s", who, got).noneMatch(n -> n.path("event").asText()
                .equals("pusher_internal:subscription_succeeded"));
        JsonNode error = got.stream().filter(n -> n.path("event").asText().equals("pusher:error")).findFirst()
                .orElseThrow(() -> new AssertionError(who + ": no pusher:error in " + got));
        assertThat(error.path("data").has("code") && error.path("data").get("code").isNull())
                .as("%s: code null in %s", who, error).isTrue();
        assertThat(error.path("data").path("message").asText()).isNotBlank()
                .doesNotContainIgnoringCase("internal server error");
        JsonNode subErr = got.stream().filter(n -> n.path("event").asText().equals("pusher:subscription_error"))
                .findFirst().orElseThrow(() -> new AssertionError(who + ": no subscription_error in " + got));
        assertThat(subErr.path("channel").asText()).isEqualTo(channel);
    }

    private static void assertNoErrorsOrStackTraces(LogCapture logs) {
        List<String> bad = logs.serverEvents().stream()
                .filter(e -> LogCapture.atLeast(e, Level.ERROR) || e.getThrowableProxy() != null)
                .map(e -> firstLines(LogCapture.render(e))).toList();
        assertThat(bad).as("server log events at ERROR or with a stack trace").isEmpty();
    }

    private static String events(List<JsonNode> got) {
        return got.stream().map(n -> n.path("event").asText()).toList().toString();
    }

    private static String firstLines(String text) {
        String[] lines = text.split("\n", 4);
        String s = String.join(" | ", java.util.Arrays.copyOf(lines, Math.min(3, lines.length)));
        return s.length() > 400 ? s.substring(0, 400) + "..." : s;
    }
}
