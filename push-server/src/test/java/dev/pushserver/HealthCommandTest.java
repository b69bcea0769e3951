package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.pushserver.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code push-server health}: the container healthcheck (the image has no shell or curl). */
class HealthCommandTest {

    private static int health(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(new StringWriter()));
        String[] all = new String[args.length + 1];
        all[0] = "health";
        System.arraycopy(args, 0, all, 1, args.length);
        return cli.execute(all);
    }

    @Test
    void exitsZeroWhenTheServerAnswers200() {
        try (TestServer server = TestServer.start()) {
            String port = Integer.toString(server.port());
            assertThat(health("--port", port)).isZero();
            assertThat(health("--port", port, "--path", "/ready")).isZero();
            // a 404 is not healthy
            assertThat(health("--port", port, "--path", "/nothing-here")).isEqualTo(1);
        }
    }

    @Test
    void exitsOneOnA503AndWhenNothingListens() throws Exception {
        HttpServer draining = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        draining.createContext("/", ex -> {
            ex.sendResponseHeaders(503, -1);
            ex.close();
        });
        draining.start();
        try {
            assertThat(health("--port", Integer.toString(draining.getAddress().getPort()), "--path", "/ready"))
                    .isEqualTo(1);
        } finally {
            draining.stop(0);
        }
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertThat(health("--port", Integer.toString(closed), "--timeout", "1000")).isEqualTo(1);
    }

    @Test
    void badArgumentsExitTwo() {
        assertThat(health("--port", "0")).isEqualTo(2);
        assertThat(health("--path", "ready")).isEqualTo(2);
        assertThat(health("--port", "x")).isEqualTo(2);
    }
}
