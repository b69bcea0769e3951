package dev.pushserver.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/**
 * A real HTTP server that receives webhooks, as an application would: it keeps every request (headers and the exact
 * body), answers with a status chosen per request, may be slow, and can be stopped and started again on the same
 * port to play a receiver that is down.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One received request. */
    public record Request(String contentType, String key, String signature, Map<String, String> headers,
            String body, int answered) {

        public JsonNode json() {
            try {
                return SignedRequest.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("webhook body is not JSON: " + body, e);
            }
        }

        /** The events of the body. */
        public List<JsonNode> events() {
            List<JsonNode> out = new ArrayList<>();
            json().get("events").forEach(out::add);
            return out;
        }
    }

    private final int port;
    private final String path;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile IntUnaryOperator status = n -> 200;
    private volatile long delayMs;
    private HttpServer server;

    private WebhookReceiver(int port, String path) {
        this.port = port;
        this.path = path;
    }

    /** A receiver on a free port, answering 200 on {@code path}. */
    public static WebhookReceiver start(String path) throws IOException {
        WebhookReceiver r = new WebhookReceiver(freePort(), path);
        r.up();
        return r;
    }

    /** Starts (again) on the same port. */
    public synchronized void up() throws IOException {
        if (server != null) {
            return;
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext(path, this::handle);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    /** Stops listening: deliveries fail until {@link #up()}. */
    public synchronized void down() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    /** The status of the n-th request (0-based); 200 by default. */
    public void answer(IntUnaryOperator statusOfRequest) {
        this.status = statusOfRequest;
    }

    /** Waits this long before answering (a slow receiver, or one that times out). */
    public void delay(long millis) {
        this.delayMs = millis;
    }

    public String url() {
        return "http://127.0.0.1:" + port + path;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Every event of every request that was answered 2xx, in arrival order. */
    public List<JsonNode> acceptedEvents() {
        List<JsonNode> out = new ArrayList<>();
        for (Request r : requests) {
            if (r.answered / 100 == 2) {
                out.addAll(r.events());
            }
        }
        return out;
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        int n = count.getAndIncrement();
        long delay = delayMs;
        if (delay > 0) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int code = status.applyAsInt(n);
        Map<String, String> headers = new LinkedHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
        requests.add(new Request(ex.getRequestHeaders().getFirst("Content-Type"),
                ex.getRequestHeaders().getFirst("X-Pusher-Key"), ex.getRequestHeaders().getFirst("X-Pusher-Signature"),
                headers, new String(body, StandardCharsets.UTF_8), code));
        byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
        try {
            ex.sendResponseHeaders(code, answer.length);
            ex.getResponseBody().write(answer);
        } catch (IOException ignored) {
            // the server gave up waiting (timeout): that is the point of a slow receiver
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        down();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
