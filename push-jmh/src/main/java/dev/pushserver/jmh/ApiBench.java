package dev.pushserver.jmh;

import dev.pushserver.api.ApiHandler;
import dev.pushserver.api.ApiRequest;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.cluster.LocalBroker;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.core.PushCore;
import dev.pushserver.protocol.Signatures;
import dev.pushserver.store.MemoryStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One HTTP API trigger through the core, as the transport hands it over (signed URI and body): signature and
 * body_md5 checks, JSON validation, encode and publish to a channel without subscribers. No sockets.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class ApiBench {

    private PushCore core;
    private ApiHandler api;
    private ScheduledThreadPoolExecutor loop;
    private ApiRequest trigger;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        String dir = Files.createTempDirectory("push-jmh").toString();
        ServerConfig config = ConfigLoader.fromYaml("data_dir: " + dir + "\n", Map.of());
        AppRegistry apps = new AppRegistry(config.apps());
        loop = new ScheduledThreadPoolExecutor(1);
        core = new PushCore(config, apps, List.of(loop), message -> new FanoutBench.CountingFrame(),
                MemoryStore::new, new LocalBroker());
        api = core.api();
        byte[] body = "{\"name\":\"new-message\",\"channels\":[\"chat-42\"],\"data\":\"{\\\"text\\\":\\\"hello\\\"}\"}"
                .getBytes(StandardCharsets.UTF_8);
        String md5 = Signatures.md5Hex(body);
        long ts = System.currentTimeMillis() / 1000;
        String query = "auth_key=app-key&auth_timestamp=" + ts + "&auth_version=1.0&body_md5=" + md5;
        String signature = Signatures.hmacSha256Hex("app-secret", "POST\n/apps/app-id/events\n" + query);
        trigger = new ApiRequest("POST", "/apps/app-id/events?" + query + "&auth_signature=" + signature, body);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        core.close();
        loop.shutdownNow();
    }

    @Benchmark
    public Object trigger() throws Exception {
        return api.handle(trigger).toCompletableFuture().get();
    }
}
