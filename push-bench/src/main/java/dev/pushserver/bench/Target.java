package dev.pushserver.bench;

import dev.pushserver.bench.core.Net;
import dev.pushserver.bench.core.ProcStats;
import dev.pushserver.bench.core.Result;
import java.nio.file.Path;
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

    @Option(names = "--server-pid", description = "PID of the server: its CPU and RSS are read from /proc/PID "
            + "(and its heap through jcmd when it is a JVM)")
    public long serverPid = 0;

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

    public String wsPathAndQuery() {
        return wsPath.replace("{key}", key) + "?protocol=7&client=push-bench&version=0.1.0&flash=false";
    }

    public Net newNet(int loops) {
        return new Net(loops, Net.parseSources(sources), !noEpoll);
    }

    public boolean measureHeap() {
        return switch (heap) {
            case "on" -> serverPid > 0;
            case "off" -> false;
            default -> ProcStats.isJvm(serverPid);
        };
    }

    /** Common fields at the start of every line. */
    public Result result(String scenario) {
        return new Result(scenario).put("server", label).put("ts", java.time.Instant.now().toString())
                .put("gen_jdk", System.getProperty("java.version"));
    }

    public void emit(Result r) {
        r.emit(System.out, out);
    }
}
