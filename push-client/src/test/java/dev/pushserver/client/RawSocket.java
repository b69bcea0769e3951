package dev.pushserver.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A bare java.net.http WebSocket speaking the Pusher protocol, for tests: every message lands in a queue. */
final class RawSocket implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final WebSocket ws;
    final String socketId;

    RawSocket(int port, String key) throws Exception {
        URI uri = URI.create("ws://127.0.0.1:" + port + "/app/" + key + "?protocol=7&client=js&version=8.4.0");
        ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri, new WebSocket.Listener() {
                    private final StringBuilder buf = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        buf.append(data);
                        if (last) {
                            try {
                                messages.add(JSON.readTree(buf.toString()));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                            buf.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
                        closed.complete(code);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket w, Throwable error) {
                        closed.complete(-1);
                    }
                }).get(5, TimeUnit.SECONDS);
        JsonNode established = next("pusher:connection_established");
        socketId = JSON.readTree(established.get("data").asText()).get("socket_id").asText();
    }

    /** The next message with this event name (others before it are dropped); fails after 5 s. */
    JsonNode next(String event) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            JsonNode m = messages.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (m == null) {
                throw new AssertionError("no " + event + " within 5 s");
            }
            if (event.equals(m.path("event").asText())) {
                return m;
            }
        }
    }

    void send(String event, ObjectNode data) {
        ObjectNode m = JSON.createObjectNode();
        m.put("event", event);
        m.set("data", data);
        ws.sendText(m.toString(), true).join();
    }

    /** Subscribes with the auth response of an app server (null for a public channel) and waits for success. */
    void subscribe(String channel, String authResponse) throws Exception {
        ObjectNode d = JSON.createObjectNode();
        d.put("channel", channel);
        if (authResponse != null) {
            JsonNode auth = JSON.readTree(authResponse);
            d.put("auth", auth.get("auth").asText());
            if (auth.has("channel_data")) {
                d.put("channel_data", auth.get("channel_data").asText());
            }
        }
        send("pusher:subscribe", d);
        next("pusher_internal:subscription_succeeded");
    }

    void signin(String authResponse) throws Exception {
        send("pusher:signin", (ObjectNode) JSON.readTree(authResponse));
        next("pusher:signin_success");
        // push-server sends signin_success just before it registers #server-to-user-<id> (same event loop): a
        // ping round-trip makes sure the registration is done before the test calls sendToUser
        send("pusher:ping", JSON.createObjectNode());
        next("pusher:pong");
    }

    @Override
    public void close() {
        ws.abort();
    }
}
