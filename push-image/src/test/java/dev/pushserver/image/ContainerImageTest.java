package dev.pushserver.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pusher.client.Pusher;
import com.pusher.client.PusherOptions;
import com.pusher.client.channel.Channel;
import com.pusher.rest.data.Result;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The image tar that {@code mvn -Pimage package} wrote (push-image/target/push-server-image.tar): its config, its
 * file system, and the server really running from its layers (chroot as user 10001, where the sandbox allows), plus
 * deploy/compose.yaml.
 */
class ContainerImageTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TAR = Path.of(System.getProperty("image.tar", "target/push-server-image.tar"));
    private static final Path COMPOSE = Path.of(System.getProperty("compose.file", "../deploy/compose.yaml"));
    private static final String VERSION = System.getProperty("project.version", "0.1.0-SNAPSHOT");

    private static TarFile outer;
    private static JsonNode manifest;
    private static JsonNode config;
    /** Layers in manifest order, each with its entries and the text of a few /etc files. */
    private static final List<TarFile> layers = new ArrayList<>();

    @BeforeAll
    static void readTar() throws IOException {
        assertThat(TAR).as("image tar (built by mvn -Pimage package)").isRegularFile();
        try (InputStream in = Files.newInputStream(TAR)) {
            outer = TarFile.read(in, name -> true);
        }
        manifest = JSON.readTree(outer.contents.get("/manifest.json"));
        config = JSON.readTree(outer.contents.get("/" + manifest.get(0).get("Config").asText()));
        for (JsonNode layer : manifest.get(0).get("Layers")) {
            byte[] gz = outer.contents.get("/" + layer.asText());
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
                layers.add(TarFile.read(in, name -> name.startsWith("/etc/")));
            }
        }
        long uncompressed = layers.stream().flatMap(l -> l.entries.stream()).mapToLong(TarFile.Entry::size).sum();
        System.out.printf("image tar %s: %.1f MB, files %.1f MB uncompressed in %d layers%n", TAR,
                Files.size(TAR) / 1e6, uncompressed / 1e6, layers.size());
    }

    @Test
    void configRunsTheJarAsUser10001OnPort6001() {
        assertThat(manifest.get(0).get("RepoTags")).extracting(JsonNode::asText)
                .contains("push-server:latest", "push-server:" + VERSION);
        assertThat(config.get("os").asText()).isEqualTo("linux");
        assertThat(config.get("architecture").asText()).isEqualTo("amd64");
        JsonNode c = config.get("config");
        List<String> entrypoint = texts(c.get("Entrypoint"));
        assertThat(entrypoint.get(0)).isEqualTo("/opt/java/bin/java");
        assertThat(entrypoint).contains("-XX:MaxRAMPercentage=75")
                .endsWith("-jar", "/app/push-server.jar");
        assertThat(c.get("Cmd") == null || c.get("Cmd").isNull() || c.get("Cmd").isEmpty())
                .as("no Cmd: arguments given to docker run go to the server").isTrue();
        assertThat(c.get("ExposedPorts").has("6001/tcp")).isTrue();
        assertThat(c.get("User").asText()).isEqualTo("10001:10001");
        assertThat(c.get("WorkingDir").asText()).isEqualTo("/var/lib/push-server");
        assertThat(texts(c.get("Env"))).contains("PUSH_HOST=0.0.0.0", "PUSH_PORT=6001",
                "PUSH_DATA_DIR=/var/lib/push-server");
        assertThat(c.get("Labels").get("org.opencontainers.image.title").asText()).isEqualTo("push-server");
        assertThat(c.get("Labels").get("org.opencontainers.image.version").asText()).isEqualTo(VERSION);
        assertThat(c.get("Labels").has("org.opencontainers.image.source")).isTrue();
    }

    @Test
    void fileSystemHoldsTheJreTheJarTheUserAndWritableDirs() {
        TarFile.Entry java = find("/opt/java/bin/java");
        assertThat(java).as("/opt/java/bin/java").isNotNull();
        assertThat(java.mode() & 0111).as("java is executable").isNotZero();
        assertThat(find("/opt/java/lib/server/libjvm.so")).isNotNull();
        assertThat(find("/opt/java/lib/security/cacerts").size()).as("CA certificates for https webhooks")
                .isGreaterThan(10_000);
        assertThat(find("/app/push-server.jar").size()).isGreaterThan(1_000_000);
        assertThat(find("/lib64/ld-linux-x86-64.so.2")).as("dynamic loader").isNotNull();
        assertThat(layers.stream().flatMap(l -> l.entries.stream()).map(TarFile.Entry::name)
                .filter(n -> n.startsWith("/app/libs/"))).as("dependencies only inside the fat jar").isEmpty();
        assertThat(text("/etc/passwd")).contains("push:x:10001:10001:");
        assertThat(text("/etc/group")).contains("push:x:10001:");
        assertThat(text("/etc/nsswitch.conf")).containsPattern("hosts:\\s+files dns");
        assertThat(find("/tmp").mode() & 0777).isEqualTo(0777);
        assertThat(find("/var/lib/push-server").mode() & 0777).isEqualTo(0777);
        // no shell, no package manager: nothing but the JRE, its libraries and the jar
        assertThat(find("/bin/sh")).isNull();
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeRunsTwoNodesOfTheImageAgainstRedisBehindNginx() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        assertThat(services).containsKeys("redis", "node1", "node2", "nginx");
        List<String> nodeIds = new ArrayList<>();
        for (String node : List.of("node1", "node2")) {
            Map<String, Object> s = services.get(node);
            assertThat(s.get("image")).as(node + " image").isEqualTo("push-server:latest");
            assertThat(s).as(node + " uses the image's entrypoint").doesNotContainKeys("command", "entrypoint");
            assertThat(String.valueOf(s.get("user"))).isEqualTo("10001:10001");
            Map<String, Object> env = (Map<String, Object>) s.get("environment");
            assertThat(env.get("PUSH_REDIS_URL")).isEqualTo("redis://redis:6379");
            assertThat(env.get("PUSH_HOST")).isEqualTo("0.0.0.0");
            assertThat(String.valueOf(env.get("PUSH_PORT"))).isEqualTo("6001");
            assertThat(String.valueOf(env.get("PUSH_APPS_0_SECRET"))).contains("PUSH_APP_SECRET");
            nodeIds.add(String.valueOf(env.get("PUSH_NODE_ID")));
            List<String> test = (List<String>) ((Map<String, Object>) s.get("healthcheck")).get("test");
            assertThat(test).startsWith("CMD", "/opt/java/bin/java").contains("health", "/ready");
            assertThat((List<String>) s.get("volumes")).anyMatch(v -> v.endsWith(":" + env.get("PUSH_DATA_DIR")));
            assertThat(((Map<String, Object>) s.get("depends_on"))).containsKey("redis");
        }
        assertThat(nodeIds).doesNotHaveDuplicates().doesNotContain("null");
        assertThat(((Map<String, Object>) services.get("nginx").get("depends_on"))).containsKeys("node1", "node2");
        String nginx = Files.readString(COMPOSE.resolveSibling("nginx.conf"));
        assertThat(nginx).contains("server node1:6001", "server node2:6001");
    }

    /**
     * The layers extracted in order into a directory and the entrypoint run there with chroot as 10001:10001 and the
     * image's env (a container without the isolation): a pusher-java-client gets an event triggered with
     * pusher-http-java, and the compose healthcheck command passes.
     */
    @Test
    void serverRunsFromTheLayersAsUser10001(@TempDir Path dir) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "SKIPPED running the image: needs root for chroot and mounts (the tar's config was still checked)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")) && Files.isExecutable(Path.of("/usr/sbin/chroot")),
                "SKIPPED running the image: unshare or chroot missing");
        assumeTrue(run(List.of("/usr/bin/unshare", "--mount", "--fork", "true"), Map.of(), 20) == 0,
                "SKIPPED running the image: this sandbox forbids mount namespaces (unshare --mount)");

        Path root = dir.resolve("rootfs");
        Files.createDirectories(root);
        int i = 0;
        for (JsonNode layer : manifest.get(0).get("Layers")) {
            Path gz = dir.resolve("layer" + i++ + ".tar.gz");
            Files.write(gz, outer.contents.get("/" + layer.asText()));
            assertThat(run(List.of("tar", "--warning=no-unknown-keyword", "-xzf", gz.toString(), "-C", root.toString()), Map.of(), 120)).isZero();
        }
        Files.createDirectories(root.resolve("dev"));
        Files.createDirectories(root.resolve("proc"));
        // webhooks of the image's server arrive here (it queues them in SQLite under the data dir first)
        CompletableFuture<String> webhook = new CompletableFuture<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", ex -> {
            webhook.complete(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.start();
        // the app comes from a YAML file (the JRE has no java.desktop: this checks config parsing without it)
        Files.writeString(root.resolve("var/lib/push-server/push.yaml"),
                "apps:\n  - id: \"img\"\n    key: img-key\n    secret: img-secret\n    webhooks:\n"
                        + "      - url: http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook\n"
                        + "        event_types: [channel_occupied]\n");

        int port = freePort();
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : texts(config.get("config").get("Env"))) {
            env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        env.put("PUSH_PORT", Integer.toString(port));
        List<String> serverCmd = new ArrayList<>(texts(config.get("config").get("Entrypoint")));
        serverCmd.addAll(List.of("--config", "/var/lib/push-server/push.yaml"));
        Path log = dir.resolve("server.log");
        Process server = new ProcessBuilder(inContainer(root, env, serverCmd)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            awaitStatus("http://127.0.0.1:" + port + "/ready", 200, Duration.ofSeconds(60), server, log);
            assertThat(get("http://127.0.0.1:" + port + "/health")).isEqualTo(200);
            assertThat(Files.readString(log)).contains("listening on ws://0.0.0.0:" + port, "app id=img key=img-key");

            // a real client through the image's server
            Pusher client = new Pusher("img-key",
                    new PusherOptions().setHost("127.0.0.1").setWsPort(port).setUseTLS(false));
            CompletableFuture<String> received = new CompletableFuture<>();
            CompletableFuture<Void> subscribed = new CompletableFuture<>();
            try {
                client.connect();
                Channel ch = client.subscribe("image-test", new com.pusher.client.channel.ChannelEventListener() {
                    @Override
                    public void onSubscriptionSucceeded(String channelName) {
                        subscribed.complete(null);
                    }

                    @Override
                    public void onEvent(com.pusher.client.channel.PusherEvent event) {
                    }
                });
                ch.bind("hello", e -> received.complete(e.getData()));
                subscribed.get(30, TimeUnit.SECONDS);
                com.pusher.rest.Pusher api = new com.pusher.rest.Pusher("img", "img-key", "img-secret");
                api.setHost("127.0.0.1:" + port);
                api.setEncrypted(false);
                try {
                    Result r = api.trigger("image-test", "hello", Map.of("from", "the image"));
                    assertThat(r.getHttpStatus()).isEqualTo(200);
                } finally {
                    api.close();
                }
                assertThat(received.get(30, TimeUnit.SECONDS)).contains("the image");
                assertThat(webhook.get(30, TimeUnit.SECONDS)).contains("channel_occupied", "image-test");
            } finally {
                client.disconnect();
            }
            // the data dir is writable by the image's user: the hook queue's SQLite file is 10001's
            Path db = root.resolve("var/lib/push-server/hooks.db");
            assertThat(db).exists();
            assertThat(Files.getAttribute(db, "unix:uid")).isEqualTo(10001);

            // the server's process runs as 10001
            assertThat(javaUidsUnder(server)).containsOnly(10001);

            // compose's healthcheck command, inside the image: exit 0 on a ready server, 1 on a closed port
            List<String> health = healthcheckFromCompose();
            Map<String, String> healthEnv = new LinkedHashMap<>(env);
            assertThat(run(inContainer(root, healthEnv, health), Map.of(), 60)).as("healthcheck on a ready server")
                    .isZero();
            // a name resolved inside the image (glibc NSS: nsswitch.conf, then /etc/hosts), as redis://redis is
            List<String> byName = new ArrayList<>(health);
            byName.addAll(List.of("--host", "localhost"));
            assertThat(run(inContainer(root, healthEnv, byName), Map.of(), 60)).as("healthcheck via localhost")
                    .isZero();
            List<String> wrongPort = new ArrayList<>(health);
            wrongPort.addAll(List.of("--port", Integer.toString(freePort())));
            assertThat(run(inContainer(root, healthEnv, wrongPort), Map.of(), 60)).as("healthcheck, nothing there")
                    .isEqualTo(1);
        } finally {
            receiver.stop(0);
            server.descendants().forEach(ProcessHandle::destroy);
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.descendants().forEach(ProcessHandle::destroyForcibly);
                server.destroyForcibly();
            }
            System.out.println("--- server log (in the image) ---\n" + Files.readString(log));
        }
    }

    /**
     * Where podman is installed: it loads the tar (into a throw-away store) and reads the config back. Running it
     * with podman is not tried here: in this sandbox crun may not set RLIMIT_NOFILE / RLIMIT_NPROC.
     */
    @Test
    void podmanLoadsTheTar(@TempDir Path dir) throws Exception {
        Path podman = Path.of("/usr/bin/podman");
        assumeTrue(Files.isExecutable(podman), "SKIPPED podman load: podman is not installed");
        List<String> store = List.of(podman.toString(), "--root", dir.resolve("root").toString(), "--runroot",
                dir.resolve("run").toString(), "--storage-driver", "vfs");
        List<String> load = new ArrayList<>(store);
        load.addAll(List.of("load", "-i", TAR.toString()));
        assertThat(run(load, Map.of(), 180)).isZero();
        List<String> inspect = new ArrayList<>(store);
        inspect.addAll(List.of("image", "inspect", "--format", "{{.Config.User}} {{json .Config.ExposedPorts}}",
                "localhost/push-server:latest"));
        Path out = dir.resolve("inspect.txt");
        Process p = new ProcessBuilder(inspect).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(out)).contains("10001:10001", "6001/tcp");
    }

    /** The command run in {@code root} as 10001:10001 with exactly {@code env}, with /dev and /proc mounted. */
    private static List<String> inContainer(Path root, Map<String, String> env, List<String> command) {
        StringBuilder sh = new StringBuilder("mount --rbind /dev '" + root + "/dev' && mount -t proc proc '" + root
                + "/proc' && exec env -i");
        env.forEach((k, v) -> sh.append(' ').append(quote(k + "=" + v)));
        sh.append(" /usr/sbin/chroot --userspec=10001:10001 ").append(quote(root.toString()));
        command.forEach(c -> sh.append(' ').append(quote(c)));
        return List.of("/usr/bin/unshare", "--mount", "--fork", "--kill-child", "/bin/sh", "-c", sh.toString());
    }

    @SuppressWarnings("unchecked")
    private static List<String> healthcheckFromCompose() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE));
        Map<String, Object> node = ((Map<String, Map<String, Object>>) compose.get("services")).get("node1");
        List<String> test = (List<String>) ((Map<String, Object>) node.get("healthcheck")).get("test");
        return test.subList(1, test.size()); // without "CMD"
    }

    private static List<Integer> javaUidsUnder(Process server) {
        List<Integer> uids = new ArrayList<>();
        server.descendants().forEach(p -> {
            if (p.info().command().orElse("").endsWith("/java")) {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
                        if (line.startsWith("Uid:")) {
                            uids.add(Integer.parseInt(line.split("\\s+")[1]));
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        assertThat(uids).as("the server's java process").isNotEmpty();
        return uids;
    }

    private static void awaitStatus(String url, int status, Duration timeout, Process server, Path log)
            throws Exception {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            if (!server.isAlive()) {
                throw new AssertionError("server exited " + server.exitValue() + ":\n" + Files.readString(log));
            }
            if (get(url) == status) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(url + " not " + status + " within " + timeout + ":\n" + Files.readString(log));
    }

    private static int get(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(5000);
            int code = c.getResponseCode();
            c.disconnect();
            return code;
        } catch (IOException e) {
            return -1;
        }
    }

    private static int run(List<String> command, Map<String, String> env, int timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " still running after " + timeoutSeconds + " s");
        }
        String text = out.get(10, TimeUnit.SECONDS);
        if (!text.isBlank()) {
            System.out.println(String.join(" ", command).substring(0, Math.min(200, String.join(" ", command)
                    .length())) + " -> " + p.exitValue() + ": " + text.strip());
        }
        return p.exitValue();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The entry as the merged layers show it (a later layer wins). */
    private static TarFile.Entry find(String name) {
        TarFile.Entry found = null;
        for (TarFile layer : layers) {
            TarFile.Entry e = layer.entry(name);
            if (e != null) {
                found = e;
            }
        }
        return found;
    }

    private static String text(String name) {
        String found = null;
        for (TarFile layer : layers) {
            byte[] b = layer.contents.get(name);
            if (b != null) {
                found = new String(b, StandardCharsets.UTF_8);
            }
        }
        assertThat(found).as(name).isNotNull();
        return found;
    }
}
