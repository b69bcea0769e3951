package dev.pushserver.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plain WebSocket client (the JDK's) for checking exact frames, error codes and bad input. Collects every text
 * message and the close code/reason the server sends.
 */
public final class RawClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<int[]> closed = new CompletableFuture<>();
    private volatile String closeReason;
    private final WebSocket ws;
    private volatile boolean autoPong = true;
    private final BlockingQueue<String> pings = new LinkedBlockingQueue<>();

    private RawClient(String url, boolean answerPings) throws Exception {
        this.autoPong = answerPings;
        StringBuilder partial = new StringBuilder();
        this.ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create(url), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            messages.add(partial.toString());
                            partial.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onPing(WebSocket w, ByteBuffer message) {
                        pings.add("ping");
                        if (autoPong) {
                            w.sendPong(message);
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
                        closeReason = reason;
                        closed.complete(new int[] {statusCode});
                        return null;
                    }

                    @Override
                    public void onError(WebSocket w, Throwable error) {
                        closed.complete(new int[] {-1});
                    }
                }).get(10, TimeUnit.SECONDS);
    }

    /** Connects; the JDK client answers ping frames like browsers do. */
    public static RawClient connect(String url) throws Exception {
        return new RawClient(url, true);
    }

    /**
     * Connects with a client that does not answer ping frames. Note the JDK client still answers pings itself
     * unless the listener's onPing takes over; we never send a pong from the listener in this mode.
     */
    public static RawClient connectIgnoringPings(String url) throws Exception {
        return new RawClient(url, false);
    }

    public void send(String text) {
        ws.sendText(text, true).join();
    }

    /** Next text message within 5 s, or null. */
    public String next() throws InterruptedException {
        return messages.poll(5, TimeUnit.SECONDS);
    }

    /** Next text message within the timeout, or null. */
    public String next(long millis) throws InterruptedException {
        return messages.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Next message parsed as JSON; fails when none arrives in 5 s. */
    public JsonNode nextJson() throws InterruptedException, IOException {
        String m = next();
        if (m == null) {
            throw new AssertionError("no message within 5 s");
        }
        return JSON.readTree(m);
    }

    /** Skips messages until one with this event arrives (5 s overall). */
    public JsonNode nextEvent(String event) throws InterruptedException, IOException {
        long deadline = System.currentTimeMillis() + 5_000;
        while (System.currentTimeMillis() < deadline) {
            String m = next(Math.max(1, deadline - System.currentTimeMillis()));
            if (m == null) {
                break;
            }
            JsonNode n = JSON.readTree(m);
            if (event.equals(n.path("event").asText())) {
                return n;
            }
        }
        throw new AssertionError("no " + event + " within 5 s");
    }

    /** The socket_id from pusher:connection_established (reads the first message). */
    public String socketId() throws InterruptedException, IOException {
        JsonNode established = nextEvent("pusher:connection_established");
        return JSON.readTree(established.get("data").asText()).get("socket_id").asText();
    }

    /** Close code the server sent, waiting up to {@code seconds}; -1 on transport error, null if still open. */
    public Integer closeCode(long seconds) {
        try {
            return closed.get(seconds, TimeUnit.SECONDS)[0];
        } catch (Exception e) {
            return null;
        }
    }

    public String closeReason() {
        return closeReason;
    }

    public int pingsReceived() {
        return pings.size();
    }

    public boolean isOpen() {
        return !closed.isDone() && !ws.isInputClosed();
    }

    public WebSocket socket() {
        return ws;
    }

    public static ObjectMapper json() {
        return JSON;
    }

    @Override
    public void close() {
        ws.abort();
    }
}
