package dev.pushserver.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** A real Redis Cluster of three masters on free ports (redis-server + redis-cli --cluster create). */
public final class RedisCluster implements AutoCloseable {

    private final List<RedisProcess> nodes = new ArrayList<>();

    private RedisCluster() {
    }

    public static RedisCluster start() throws IOException, InterruptedException {
        RedisCluster c = new RedisCluster();
        try {
            for (int i = 0; i < 3; i++) {
                c.nodes.add(RedisProcess.clusterNode());
            }
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            c.nodes.forEach(n -> cmd.add("127.0.0.1:" + n.port()));
            cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("redis-cli --cluster create failed: " + out);
            }
            // every node must agree that all slots are served before clients connect
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!c.nodes.stream().allMatch(RedisCluster::stateOk)) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the Redis Cluster did not reach cluster_state:ok");
                }
                Thread.sleep(100);
            }
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static boolean stateOk(RedisProcess n) {
        try {
            Process p = new ProcessBuilder("redis-cli", "-p", String.valueOf(n.port()), "cluster", "info")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.SECONDS);
            return out.contains("cluster_state:ok");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The seed URLs, comma-separated, as redis_url takes them. */
    public String url() {
        return nodes.stream().map(RedisProcess::url).collect(Collectors.joining(","));
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisProcess n : nodes) {
            n.close();
        }
    }
}
