package dev.pushserver.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} for one test, on a free port: started, killed (as a crash) and started again on the
 * same port, so a test can take Redis away and bring it back. .ci/run installs redis-server.
 */
public final class RedisProcess implements AutoCloseable {

    private final int port;
    private final Path dir;
    private final List<String> options;
    private Process process;

    private RedisProcess(int port, Path dir, List<String> options) {
        this.port = port;
        this.dir = dir;
        this.options = options;
    }

    /** Nothing persisted: a kill loses everything Redis held. */
    public static RedisProcess start() throws IOException, InterruptedException {
        return start(List.of("--save", "", "--appendonly", "no"));
    }

    /**
     * Every write in the append-only file before Redis answers it ({@code appendfsync always}): a kill loses
     * nothing, and a restart on the same port reads it back, as a Redis run for a durable hook queue would.
     */
    public static RedisProcess durable() throws IOException, InterruptedException {
        return start(List.of("--save", "", "--appendonly", "yes", "--appendfsync", "always"));
    }

    /** A node of a Redis Cluster (see {@link RedisCluster}); nothing persisted. */
    public static RedisProcess clusterNode() throws IOException, InterruptedException {
        return start(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--save", "",
                "--appendonly", "no"));
    }

    private static RedisProcess start(List<String> options) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RedisProcess r = new RedisProcess(port, Files.createTempDirectory("push-test-redis"), options);
        r.up();
        return r;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts (again) on the same port and waits until it answers PING. */
    public synchronized void up() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> cmd = new java.util.ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind",
                "127.0.0.1", "--dir", dir.toString(), "--protected-mode", "no"));
        cmd.addAll(options);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ping()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("redis-server did not start on " + port + ": "
                        + Files.readString(dir.resolve("redis.log")));
            }
            Thread.sleep(50);
        }
    }

    /** Kills it (SIGKILL): everything it held is gone, as in a crash. */
    public synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private boolean ping() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[7];
            int n = in.read(buf);
            return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
