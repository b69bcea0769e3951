package dev.pushserver;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code push-server health}: one HTTP GET on this machine's server, for container healthchecks in images without a
 * shell or curl. Exit 0 on 200, 1 otherwise. Starts no Netty and reads no config file.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "GET http://<host>:<port><path> and exit 0 on HTTP 200, 1 otherwise (for container "
                + "healthchecks). Port defaults to PUSH_PORT, else 6001.")
final class HealthCommand implements Callable<Integer> {

    @Option(names = {"-p", "--port"}, paramLabel = "N", description = "port (default PUSH_PORT, else 6001)")
    Integer port;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "/health",
            description = "path to GET: /health (alive) or /ready (default ${DEFAULT-VALUE})")
    String path;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address to connect to (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--timeout", paramLabel = "MS", defaultValue = "2000",
            description = "connect and read timeout in milliseconds (default ${DEFAULT-VALUE})")
    int timeoutMillis;

    @Override
    public Integer call() {
        int p = port != null ? port : envPort();
        if (p < 1 || p > 65535 || !path.startsWith("/")) {
            System.err.println("health: need a port in 1..65535 and a path starting with /");
            return 2;
        }
        String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + p + path;
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(timeoutMillis);
            c.setReadTimeout(timeoutMillis);
            c.setInstanceFollowRedirects(false);
            int status = c.getResponseCode();
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                if (in != null) {
                    in.readAllBytes();
                }
            }
            c.disconnect();
            if (status == 200) {
                return 0;
            }
            System.err.println("health: " + url + " answered " + status);
            return 1;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("health: " + url + " failed: " + e);
            return 1;
        }
    }

    private static int envPort() {
        String v = System.getenv("PUSH_PORT");
        if (v == null || v.isBlank()) {
            return 6001;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
