package dev.pushserver.bench;

import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.ProcStats;
import dev.pushserver.bench.core.Result;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The server under test and how the generator reaches it; shared by every scenario (a picocli mixin). */
public final class Target {

    @Option(names = "--host", description = "server address (default ${DEFAULT-VALUE})")
    public String host = "127.0.0.1";

    @Option(names = "--port", description = "WebSocket + HTTP API port (default ${DEFAULT-VALUE})")
    public int port = 6001;

    @Option(names = "--api-port", description = "HTTP API port when it differs from --port (default: --port)")
    public int apiPort = 0;

    @Option(names = "--app-id", description = "app id (default ${DEFAULT-VALUE})")
    public String appId = "app-id";

    @Option(names = "--key", description = "app key (default ${DEFAULT-VALUE})")
    public String key = "app-key";

    @Option(names = "--secret", description = "app secret (default ${DEFAULT-VALUE})")
    public String secret = "app-secret";

    @Option(names = "--ports", description = "WebSocket endpoints the subscribers spread over, round-robin by "
            + "connection, comma-separated, each PORT (on --host) or HOST:PORT, e.g. 17601,17602 for two cluster "
            + "nodes (default: --host and --port only)")
    public String ports;

    @Option(names = "--publish-port", description = "port the HTTP triggers go to, e.g. another cluster node than "
            + "the subscribers' (default: --api-port, else --port)")
    public int publishPort = 0;

    @Option(names = "--publish-host", description = "address the HTTP triggers go to (default: --host)")
    public String publishHost;

    @Option(names = "--server-pid", split = ",", description = "PID of the server, or the PIDs of every node "
            + "comma-separated: their CPU and RSS are read from /proc/PID and summed (and their heap through jcmd "
            + "when they are JVMs)")
    public long[] serverPids = new long[0];

    @Option(names = "--label", description = "name of the server in the output, e.g. push-server, soketi, ceiling "
            + "(default ${DEFAULT-VALUE})")
    public String label = "server";

    @Option(names = "--sources", description = "client source addresses, e.g. 127.0.0.1-127.0.0.8; 'none' lets the "
            + "kernel choose (default ${DEFAULT-VALUE})")
    public String sources = "127.0.0.1-127.0.0.8";

    @Option(names = "--client-loops", description = "generator event loops for WebSocket clients (default: cores)")
    public int clientLoops = Runtime.getRuntime().availableProcessors();

    @Option(names = "--no-epoll", description = "use NIO instead of native epoll in the generator")
    public boolean noEpoll;

    @Option(names = "--heap", description = "measure the server heap after GC with jcmd: auto (when --server-pid is "
            + "a JVM), on, off (default ${DEFAULT-VALUE})")
    public String heap = "auto";

    @Option(names = "--ws-path", description = "WebSocket path before the query; {key} is replaced "
            + "(default ${DEFAULT-VALUE})")
    public String wsPath = "/app/{key}";

    @Option(names = "--out", description = "also append every JSON line to this file")
    public Path out;

    public int apiPort() {
        return apiPort > 0 ? apiPort : port;
    }

    /** A server address: where a subscriber connects or the triggers go. */
    public record Endpoint(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /** Where the subscribers connect: every entry of --ports, or --host:--port. */
    public List<Endpoint> wsEndpoints() {
        List<Endpoint> out = new ArrayList<>();
        if (ports != null) {
            for (String s : ports.split(",")) {
                String e = s.trim();
                if (e.isEmpty()) {
                    continue;
                }
                int colon = e.lastIndexOf(':');
                try {
                    out.add(colon < 0 ? new Endpoint(host, Integer.parseInt(e))
                            : new Endpoint(e.substring(0, colon), Integer.parseInt(e.substring(colon + 1))));
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("--ports: not PORT or HOST:PORT: " + e);
                }
            }
        }
        if (out.isEmpty()) {
            out.add(new Endpoint(host, port));
        }
        return out;
    }

    /** Where the HTTP triggers go: --publish-host/--publish-port, else the API port on --host. */
    public Endpoint publishEndpoint() {
        return new Endpoint(publishHost != null && !publishHost.isBlank() ? publishHost : host,
                publishPort > 0 ? publishPort : apiPort());
    }

    public String wsPathAndQuery() {
        return wsPath.replace("{key}", key) + "?protocol=7&client=push-bench&version=0.1.0&flash=false";
    }

    public Net newNet(int loops) {
        return new Net(loops, Net.parseSources(sources), !noEpoll);
    }

    public boolean measureHeap() {
        return switch (heap) {
            case "on" -> serverPids.length > 0;
            case "off" -> false;
            default -> ProcStats.isJvm(serverPids);
        };
    }

    /** Common fields at the start of every line. */
    public Result result(String scenario) {
        Result r = new Result(scenario).put("server", label).put("ts", java.time.Instant.now().toString())
                .put("gen_jdk", System.getProperty("java.version"));
        // only when spread over several nodes, so that single-node lines stay as they were
        if (ports != null && !ports.isBlank()) {
            r.put("ws_endpoints", wsEndpoints().toString());
        }
        if (publishPort > 0 || (publishHost != null && !publishHost.isBlank())) {
            r.put("publish_endpoint", publishEndpoint().toString());
        }
        if (serverPids.length > 1) {
            r.put("server_processes", serverPids.length);
        }
        return r;
    }

    public void emit(Result r) {
        r.emit(System.out, out);
    }
}
