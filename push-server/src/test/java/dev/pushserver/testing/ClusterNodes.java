package dev.pushserver.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.client.ChannelAuthorizer;
import com.pusher.client.Pusher;
import com.pusher.rest.data.Result;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A push-server cluster for tests: N real server JVM processes (each on its own free port, with its own data_dir and
 * log file) sharing one {@link RedisProcess}. Every node serves app {@code app-1 / key-1 / secret-1} (client events
 * on, limits lifted for tests). Nodes can be killed (SIGKILL), stopped (SIGTERM) and asked for {@code /ready} and
 * {@code /health}; {@link #close()} kills whatever still runs.
 */
public final class ClusterNodes implements AutoCloseable {

    public static final String APP_ID = "app-1";
    public static final String KEY = "key-1";
    public static final String SECRET = "secret-1";

    /** Settings of one cluster; {@link #start()} launches the nodes. */
    public static final class Builder {
        private final Path dir;
        private final RedisProcess redis;
        private int nodes = 2;
        private int nodeTimeout = 3;
        private String webhookUrl;
        private List<String> webhookEvents = List.of();
        private final List<String> extra = new ArrayList<>();

        private Builder(Path dir, RedisProcess redis) {
            this.dir = dir;
            this.redis = redis;
        }

        public Builder nodes(int n) {
            this.nodes = n;
            return this;
        }

        /** {@code node_timeout} in seconds (3 by default, to keep tests fast). */
        public Builder nodeTimeout(int seconds) {
            this.nodeTimeout = seconds;
            return this;
        }

        /** A webhook target of app-1 for these event types. */
        public Builder webhook(String url, String... eventTypes) {
            this.webhookUrl = url;
            this.webhookEvents = List.of(eventTypes);
            return this;
        }

        /** An extra top-level YAML line for every node, e.g. {@code "shutdown_grace_period: 2"}. */
        public Builder extra(String yamlLine) {
            this.extra.add(yamlLine);
            return this;
        }

        public ClusterNodes start() throws Exception {
            ClusterNodes cluster = new ClusterNodes(this);
            try {
                for (int i = 0; i < nodes; i++) {
                    cluster.nodes.add(cluster.new Node(i));
                }
                for (Node n : cluster.nodes) {
                    n.launch();
                }
                for (Node n : cluster.nodes) {
                    n.awaitReady(Duration.ofSeconds(40));
                }
            } catch (Throwable t) {
                cluster.close();
                throw t;
            }
            return cluster;
        }
    }

    private final Builder settings;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Pusher> javaClients = new CopyOnWriteArrayList<>();

    private ClusterNodes(Builder settings) {
        this.settings = settings;
    }

    public static Builder builder(Path dir, RedisProcess redis) {
        return new Builder(dir, redis);
    }

    public Node node(int i) {
        return nodes.get(i);
    }

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /** The tail of every node's log, for assertion messages. */
    public String logs() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes) {
            sb.append("\n---- ").append(n.id()).append(" (").append(n.log).append(") ----\n").append(n.logTail(60));
        }
        return sb.toString();
    }

    /** One server process of the cluster. */
    public final class Node {
        private final int index;
        private final String id;
        private final int port;
        private final Path config;
        private final Path log;
        private volatile Process process;
        private com.pusher.rest.Pusher api;

        private Node(int index) throws IOException {
            this.index = index;
            this.id = "node-" + (char) ('a' + index);
            this.port = freePort();
            Path dir = settings.dir.resolve(id);
            Files.createDirectories(dir);
            this.config = dir.resolve("push-server.yaml");
            this.log = dir.resolve("server.log");
            Files.writeString(config, yaml(dir.resolve("data")));
        }

        private String yaml(Path dataDir) {
            StringBuilder y = new StringBuilder()
                    .append("host: 127.0.0.1\n")
                    .append("port: ").append(port).append('\n')
                    .append("data_dir: ").append(dataDir).append('\n')
                    .append("redis_url: ").append(settings.redis.url()).append('\n')
                    .append("redis_prefix: \"ct:\"\n")
                    .append("node_id: ").append(id).append('\n')
                    .append("node_timeout: ").append(settings.nodeTimeout).append('\n')
                    .append("max_connections_per_ip: 0\n")
                    .append("max_new_connections_per_ip_per_second: 0\n")
                    .append("shutdown_grace_period: 2\n");
            settings.extra.forEach(l -> y.append(l).append('\n'));
            y.append("apps:\n")
                    .append("  - id: ").append(APP_ID).append('\n')
                    .append("    key: ").append(KEY).append('\n')
                    .append("    secret: ").append(SECRET).append('\n')
                    .append("    enable_client_messages: true\n")
                    .append("    max_client_events_per_second: 1000\n")
                    .append("    max_messages_per_second: 100000\n")
                    .append("    max_subscriptions_per_second: 100000\n")
                    .append("    max_presence_members: 10000\n");
            if (settings.webhookUrl != null) {
                y.append("    webhooks:\n")
                        .append("      - url: ").append(settings.webhookUrl).append('\n')
                        .append("        event_types: [").append(String.join(", ", settings.webhookEvents))
                        .append("]\n");
            }
            return y.toString();
        }

        private void launch() throws IOException {
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m", "-Xss512k",
                    "-cp", testClassPath(), "dev.pushserver.Main", "--config", config.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().keySet().removeIf(k -> k.startsWith("PUSH_"));
            process = pb.start();
        }

        /** Waits until the port accepts connections and {@code /ready} answers 200. */
        public void awaitReady(Duration atMost) {
            Awaitility.await("node " + id + " ready").atMost(atMost).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError(id + " exited with " + process.exitValue() + ":\n"
                                    + logTail(80));
                        }
                        if (!listening()) {
                            return false;
                        }
                        return status("/ready") == 200;
                    });
        }

        private boolean listening() {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        public String id() {
            return id;
        }

        public int port() {
            return port;
        }

        public Process process() {
            return process;
        }

        public boolean alive() {
            return process != null && process.isAlive();
        }

        /** ws URL as pusher-js builds it. */
        public String wsUrl() {
            return "ws://127.0.0.1:" + port + "/app/" + KEY + "?protocol=7&client=js&version=8.4.0&flash=false";
        }

        /** A raw WebSocket client connected to this node. */
        public RawClient connect() throws Exception {
            return RawClient.connect(wsUrl());
        }

        /** The HTTP status of an unsigned GET (e.g. /ready, /health); -1 when the request fails. */
        public int status(String path) {
            try {
                HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(3)).GET().build();
                return SignedRequest.HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        /** pusher-http-java for app-1 against this node (closed with the cluster). */
        public synchronized com.pusher.rest.Pusher api() {
            if (api == null) {
                api = new com.pusher.rest.Pusher(APP_ID, KEY, SECRET);
                api.setHost("127.0.0.1:" + port);
                api.setEncrypted(false);
            }
            return api;
        }

        /** A signed GET of the HTTP API through pusher-http-java; fails unless it answers 200. */
        public JsonNode get(String path, Map<String, String> params) {
            Result r = api().get(path, params);
            if (r.getHttpStatus() == null || r.getHttpStatus() != 200) {
                throw new AssertionError("GET " + path + " " + params + " on " + id + " -> " + r.getHttpStatus()
                        + " " + r.getMessage());
            }
            try {
                return RawClient.json().readTree(r.getMessage());
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + r.getMessage(), e);
            }
        }

        public JsonNode get(String path) {
            return get(path, Map.of());
        }

        /** Triggers through pusher-http-java on this node; fails unless the node accepted it. */
        public void trigger(String channel, String event, Object data) {
            trigger(List.of(channel), event, data, null);
        }

        public void trigger(List<String> channels, String event, Object data, String excludeSocketId) {
            Result r = excludeSocketId == null ? api().trigger(channels, event, data)
                    : api().trigger(channels, event, data, excludeSocketId);
            if (r.getStatus() != Result.Status.SUCCESS) {
                throw new AssertionError("trigger " + channels + " " + event + " on " + id + ": " + r.getStatus()
                        + " " + r.getHttpStatus() + " " + r.getMessage());
            }
        }

        /** An official pusher-java-client for this node (disconnected with the cluster), not yet connected. */
        public Pusher javaClient(ChannelAuthorizer authorizer) {
            Pusher p = new Pusher(KEY, TestServer.clientOptions(port).setChannelAuthorizer(authorizer)
                    .setMaxReconnectGapInSeconds(1));
            javaClients.add(p);
            return p;
        }

        /** Starts this node's process again (same port, config, node_id and data_dir) and waits until ready. */
        public void restart() throws IOException {
            if (alive()) {
                throw new IllegalStateException(id + " still runs");
            }
            launch();
            awaitReady(Duration.ofSeconds(40));
        }

        /** kill -9: no shutdown hook runs. Returns when the process is gone. */
        public void kill() throws InterruptedException {
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }

        /** SIGTERM: the graceful stop. Does not wait. */
        public void terminate() {
            Process p = process;
            if (p != null) {
                p.destroy();
            }
        }

        public String log() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                return "(unreadable log: " + e + ")";
            }
        }

        public String logTail(int lines) {
            String[] all = log().split("\\R");
            int from = Math.max(0, all.length - lines);
            return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
        }

        private void closeApi() {
            com.pusher.rest.Pusher a;
            synchronized (this) {
                a = api;
                api = null;
            }
            if (a != null) {
                try {
                    a.close();
                } catch (Exception ignored) {
                    // clean-up
                }
            }
        }

        @Override
        public String toString() {
            return id + "@" + port;
        }
    }

    /** Disconnects the Java clients, closes the HTTP clients and kills every node still running. */
    @Override
    public void close() {
        for (Pusher p : javaClients) {
            try {
                p.disconnect();
            } catch (RuntimeException ignored) {
                // clean-up
            }
        }
        javaClients.clear();
        for (Node n : nodes) {
            n.closeApi();
            if (n.process != null) {
                n.process.destroyForcibly();
            }
        }
        for (Node n : nodes) {
            if (n.process != null) {
                try {
                    n.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** The class path of the tests, for server processes started from a test. */
    public static String testClassPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** A loopback port free right now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
