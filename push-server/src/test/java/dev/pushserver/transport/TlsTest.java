package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.pusher.client.Pusher;
import com.pusher.client.PusherOptions;
import com.pusher.client.connection.ConnectionState;
import com.pusher.rest.data.Result;
import dev.pushserver.PushServer;
import dev.pushserver.config.ConfigException;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.hardening.LogCapture;
import dev.pushserver.testing.TestCerts;
import dev.pushserver.testing.TestServer;
import io.netty.handler.ssl.OpenSsl;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS from PEM files: the official Pusher clients over wss:// and https:// against a certificate from a test CA,
 * certificate rotation by replacing the files (no restart), broken replacements, start-up errors, both providers,
 * and what a client that does not speak TLS gets.
 */
class TlsTest {

    private static final String PASSWORD = "changeit";
    private static final String[] TRUST_PROPERTIES = {"javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword",
            "javax.net.ssl.trustStoreType"};
    private static final String[] saved = new String[TRUST_PROPERTIES.length];

    @TempDir
    static Path dir;
    private static TestCerts ca;

    /**
     * pusher-java-client builds its wss context from the JVM's default trust store only: point it at the test CA for
     * this class, and restore whatever was set before afterwards.
     */
    @BeforeAll
    static void authority() {
        ca = TestCerts.authority(dir);
        Path store = ca.trustStoreFile(PASSWORD);
        String[] values = {store.toString(), PASSWORD, "PKCS12"};
        for (int i = 0; i < TRUST_PROPERTIES.length; i++) {
            saved[i] = System.getProperty(TRUST_PROPERTIES[i]);
            System.setProperty(TRUST_PROPERTIES[i], values[i]);
        }
    }

    @AfterAll
    static void restoreTrust() {
        for (int i = 0; i < TRUST_PROPERTIES.length; i++) {
            if (saved[i] == null) {
                System.clearProperty(TRUST_PROPERTIES[i]);
            } else {
                System.setProperty(TRUST_PROPERTIES[i], saved[i]);
            }
        }
    }

    /** Server files at fixed paths, as certbot or a Kubernetes secret mount leaves them. */
    private static Path[] serving(TestCerts.Issued issued, String name) throws Exception {
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        Files.copy(issued.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(issued.key(), key, StandardCopyOption.REPLACE_EXISTING);
        return new Path[] {cert, key};
    }

    /** Replaces a served file the way certbot or a secret mount does: written aside, then renamed into place. */
    private static void replace(Path source, Path served) throws Exception {
        Path aside = served.resolveSibling(served.getFileName() + ".new");
        Files.copy(source, aside, StandardCopyOption.REPLACE_EXISTING);
        Files.move(aside, served, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String yaml(Path[] files, int reloadSeconds) {
        return TestServer.DEFAULT_APPS + "\ntls_cert: " + files[0] + "\ntls_key: " + files[1]
                + "\ntls_reload_interval: " + reloadSeconds + "\nhttp_header_timeout: 2\n";
    }

    /** Starts with the provider forced ("jdk"/"openssl") or chosen (null), without leaving the property set. */
    private static TestServer start(String yaml, String provider) {
        if (provider == null) {
            return TestServer.start(yaml);
        }
        System.setProperty(Tls.PROVIDER_PROPERTY, provider);
        try {
            return TestServer.start(yaml);
        } finally {
            System.clearProperty(Tls.PROVIDER_PROPERTY);
        }
    }

    private static Pusher wssClient(int port) {
        return new Pusher("key-1", new PusherOptions().setHost("127.0.0.1").setWssPort(port).setUseTLS(true));
    }

    private static com.pusher.rest.Pusher httpsClient(int port) {
        com.pusher.rest.Pusher api = new com.pusher.rest.Pusher("app-1", "key-1", "secret-1");
        api.setHost("127.0.0.1:" + port);
        api.setEncrypted(true);
        api.configureHttpClient(com.pusher.rest.Pusher.defaultHttpClientBuilder().setSSLContext(ca.sslContext()));
        return api;
    }

    /** The certificate a new connection is shown, read with a plain JDK TLS socket that trusts the test CA. */
    private static X509Certificate peerCertificate(int port) throws Exception {
        try (SSLSocket s = (SSLSocket) ca.sslContext().getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private static BlockingQueue<String> subscribe(Pusher client, String channel) {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        client.connect();
        Awaitility.await().atMost(Duration.ofSeconds(15))
                .until(() -> client.getConnection().getState() == ConnectionState.CONNECTED);
        client.subscribe(channel).bind("news", e -> got.add(e.getData()));
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> client.getChannel(channel).isSubscribed());
        return got;
    }

    @ParameterizedTest(name = "provider {0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void officialClientsOverWssAndHttps(String provider) throws Exception {
        if (provider.equals("openssl")) {
            assertThat(OpenSsl.isAvailable()).as("netty-tcnative loads here: %s", OpenSsl.unavailabilityCause())
                    .isTrue();
        }
        TestCerts.Issued issued = ca.issue("push-" + provider, 11, "ec");
        int apiPort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            apiPort = free.getLocalPort();
        }
        // the HTTP API on its own listener (api_port): TLS there too
        try (TestServer server = start("api_port: " + apiPort + "\n" + yaml(serving(issued, "clients-" + provider), 0),
                provider);
                com.pusher.rest.Pusher api = httpsClient(server.apiPort())) {
            assertThat(server.server().tls().providerName()).startsWith(provider.equals("jdk") ? "JDK" : "OpenSSL");
            Pusher client = wssClient(server.port());
            try {
                BlockingQueue<String> got = subscribe(client, "secure");
                assertThat(client.getConnection().getSocketId()).matches("\\d+\\.\\d+");
                Result r = api.trigger("secure", "news", Map.of("text", "over tls"));
                assertThat(r.getStatus()).as(r.getMessage()).isEqualTo(Result.Status.SUCCESS);
                assertThat(got.poll(15, TimeUnit.SECONDS)).isEqualTo("{\"text\":\"over tls\"}");
            } finally {
                client.disconnect();
            }
            // /health over https with the JDK's own HTTP client
            HttpResponse<String> health = HttpClient.newBuilder().sslContext(ca.sslContext()).build().send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(server.apiPort()).isEqualTo(apiPort).isNotEqualTo(server.port());
            assertThat(peerCertificate(server.port()).getSubjectX500Principal().getName()).isEqualTo(
                    "CN=push-" + provider);
            assertThat(peerCertificate(apiPort).getSubjectX500Principal().getName()).isEqualTo("CN=push-" + provider);
        }
    }

    @Test
    void replacedFilesServeTheNewCertificateToNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
        TestCerts.Issued first = ca.issue("push-first", 101, "ec");
        Path[] files = serving(first, "rotate");
        try (TestServer server = TestServer.start(yaml(files, 1));
                com.pusher.rest.Pusher api = httpsClient(server.apiPort());
                LogCapture logs = LogCapture.start()) {
            X509Certificate before = peerCertificate(server.port());
            assertThat(before.getSerialNumber().longValue()).isEqualTo(101);
            Pusher open = wssClient(server.port());
            try {
                BlockingQueue<String> got = subscribe(open, "rotation");

                // a key that does not belong to the certificate (a half-finished renewal): the old one keeps serving
                TestCerts.Issued other = ca.issue("push-other", 102, "ec");
                replace(other.key(), files[1]);
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> tlsErrors(logs).size() >= 1);
                Thread.sleep(2_500); // more checks of the unchanged broken pair: no more errors
                assertThat(tlsErrors(logs)).hasSize(1);
                assertThat(tlsErrors(logs).get(0).getFormattedMessage()).contains("does not belong",
                        files[1].toString(), "still serving certificate CN=push-first");
                assertThat(peerCertificate(server.port()).getSerialNumber().longValue()).isEqualTo(101);

                // garbage in the certificate file: still the old one
                Path garbage = dir.resolve("garbage.crt");
                Files.writeString(garbage, "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");
                replace(garbage, files[0]);
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> tlsErrors(logs).size() >= 2);
                assertThat(peerCertificate(server.port()).getSerialNumber().longValue()).isEqualTo(101);

                // the key file gone: one warning however many checks pass, still the old certificate
                Files.delete(files[1]);
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> tlsWarnings(logs).size() >= 1);
                Thread.sleep(2_500);
                assertThat(tlsWarnings(logs)).hasSize(1).first().satisfies(e -> assertThat(e.getFormattedMessage())
                        .contains("tls_key", files[1].toString(), "still serving certificate CN=push-first"));
                assertThat(peerCertificate(server.port()).getSerialNumber().longValue()).isEqualTo(101);

                // the renewal completes: new certificate (new serial and subject) for new connections
                TestCerts.Issued second = ca.issue("push-second", 202, "rsa");
                replace(second.key(), files[1]);
                replace(second.cert(), files[0]);
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                        .until(() -> peerCertificate(server.port()).getSerialNumber().longValue() == 202);
                X509Certificate after = peerCertificate(server.port());
                assertThat(after.getSubjectX500Principal().getName()).isEqualTo("CN=push-second");
                assertThat(server.server().tls().certificate().getSerialNumber().longValue()).isEqualTo(202);
                assertThat(logs.serverEvents()).anySatisfy(e -> assertThat(e.getFormattedMessage())
                        .contains("new certificate loaded", "CN=push-second"));

                // the connection opened under the old certificate still receives events
                assertThat(open.getConnection().getState()).isEqualTo(ConnectionState.CONNECTED);
                assertThat(api.trigger("rotation", "news", Map.of("n", 1)).getStatus())
                        .isEqualTo(Result.Status.SUCCESS);
                assertThat(got.poll(15, TimeUnit.SECONDS)).isEqualTo("{\"n\":1}");

                // and a new client connects under the new one
                Pusher fresh = wssClient(server.port());
                try {
                    subscribe(fresh, "rotation");
                } finally {
                    fresh.disconnect();
                }
            } finally {
                open.disconnect();
            }
        }
    }

    /** Frames that travel in the same TLS record as the upgrade request are decrypted once, not fed to TLS again. */
    @Test
    void framesSentWithTheUpgradeRequestAreHandledUnderTls() throws Exception {
        TestCerts.Issued issued = ca.issue("push-pipelined", 61, "ec");
        try (TestServer server = TestServer.start(yaml(serving(issued, "pipelined"), 0));
                SSLSocket s = (SSLSocket) ca.sslContext().getSocketFactory().createSocket("127.0.0.1",
                        server.port())) {
            s.setSoTimeout(200);
            s.startHandshake();
            java.io.ByteArrayOutputStream request = new java.io.ByteArrayOutputStream();
            request.write(("GET /app/key-1?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            request.write(PipelinedUpgradeTest.maskedText(
                    "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"early\"}}"));
            request.write(PipelinedUpgradeTest.maskedText("{\"event\":\"pusher:ping\",\"data\":{}}"));
            s.getOutputStream().write(request.toByteArray()); // one write, one TLS record
            s.getOutputStream().flush();
            String seen = PipelinedUpgradeTest.readFor(s.getInputStream(), 10_000, "pusher:pong");
            assertThat(seen).contains("101 Switching Protocols", "pusher:connection_established",
                    "\"event\":\"pusher_internal:subscription_succeeded\",\"channel\":\"early\"", "pusher:pong");
        }
    }

    @Test
    void metricsPortStaysPlainHttpWhileTheMainPortSpeaksTls() throws Exception {
        TestCerts.Issued issued = ca.issue("push-metrics", 71, "ec");
        int metricsPort = dev.pushserver.testing.ClusterNodes.freePort();
        try (TestServer server = TestServer.start(yaml(serving(issued, "metrics"), 0) + "metrics_port: "
                + metricsPort + "\n")) {
            dev.pushserver.metrics.Scrape scrape = dev.pushserver.metrics.Scrape.get(metricsPort);
            assertThat(scrape.status()).isEqualTo(200);
            assertThat(scrape.body()).contains("push_connections");
            try (SSLSocket s = (SSLSocket) ca.sslContext().getSocketFactory().createSocket("127.0.0.1",
                    server.port())) {
                s.startHandshake(); // the main port still wants TLS
                assertThat(s.getSession().getPeerCertificates()).isNotEmpty();
            }
        }
    }

    private static List<ILoggingEvent> tlsWarnings(LogCapture logs) {
        return logs.serverEvents().stream().filter(e -> e.getLevel() == Level.WARN
                && e.getLoggerName().equals(Tls.class.getName()) && !e.getFormattedMessage().contains("expires"))
                .toList();
    }

    private static List<ILoggingEvent> tlsErrors(LogCapture logs) {
        return logs.serverEvents().stream()
                .filter(e -> e.getLevel() == Level.ERROR && e.getLoggerName().equals(Tls.class.getName())).toList();
    }

    @Test
    void plainHttpOrSilenceOnTheTlsPortIsClosedWithoutAStackTrace() throws Exception {
        TestCerts.Issued issued = ca.issue("push-plain", 31, "ec");
        ch.qos.logback.classic.Logger failures = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                TlsFailures.class);
        Level level = failures.getLevel();
        failures.setLevel(Level.DEBUG);
        try (TestServer server = TestServer.start(yaml(serving(issued, "plain"), 0));
                LogCapture logs = LogCapture.start()) {
            long started = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] answer = in.readAllBytes(); // returns at the close
                assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1 200");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

            // a TCP connection that never starts the handshake is closed after http_header_timeout (2 s)
            started = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
                s.setSoTimeout(20_000);
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(1_500),
                    Duration.ofSeconds(15));
            Thread.sleep(200);
            assertThat(logs.all()).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN)
                    || e.getThrowableProxy() != null);
            // one debug line per refused connection, and nothing else about them
            List<ILoggingEvent> lines = logs.all().stream()
                    .filter(e -> e.getLoggerName().equals(TlsFailures.class.getName())).toList();
            assertThat(lines).hasSize(2).allSatisfy(e -> assertThat(e.getLevel()).isEqualTo(Level.DEBUG));
            assertThat(lines.get(0).getFormattedMessage()).contains("TLS handshake failed", "not an SSL/TLS record");
        } finally {
            failures.setLevel(level);
        }
    }

    @Test
    void pkcs1AndSec1KeysLoadAsWellAsPkcs8() throws Exception {
        TestCerts.Issued rsa = ca.issue("push-pkcs1", 41, "rsa");
        ca.openssl("rsa", "-in", rsa.key().toString(), "-traditional", "-out", "pkcs1.key");
        assertThat(Files.readString(dir.resolve("pkcs1.key"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        TestCerts.Issued ec = ca.issue("push-sec1", 42, "ec");
        ca.openssl("ec", "-in", ec.key().toString(), "-out", "sec1.key");
        assertThat(Files.readString(dir.resolve("sec1.key"))).startsWith("-----BEGIN EC PRIVATE KEY-----");
        for (String provider : new String[] {"jdk", "openssl"}) {
            for (Path[] files : List.of(new Path[] {rsa.cert(), dir.resolve("pkcs1.key")},
                    new Path[] {ec.cert(), dir.resolve("sec1.key")})) {
                try (TestServer server = start(yaml(files, 0), provider)) {
                    assertThat(peerCertificate(server.port()).getSubjectX500Principal().getName())
                            .as("%s with %s", files[1], provider).isIn("CN=push-pkcs1", "CN=push-sec1");
                }
            }
        }
    }

    @Test
    void badFilesFailTheStartWithAMessageThatNamesThemAndSaysWhatToDo() throws Exception {
        TestCerts.Issued good = ca.issue("push-bad", 51, "ec");
        Path missing = dir.resolve("missing.crt");
        assertThat(startError(missing, good.key())).contains("tls_cert", missing.toString(), "cannot read");

        Path notPem = dir.resolve("not-pem.crt");
        Files.writeString(notPem, "hello\n");
        assertThat(startError(notPem, good.key())).contains("tls_cert", notPem.toString(), "no PEM certificate");

        Path notKey = dir.resolve("not-a-key.key");
        Files.writeString(notKey, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThat(startError(good.cert(), notKey)).contains("tls_key", notKey.toString(),
                "openssl pkcs8 -topk8 -nocrypt -in " + notKey);

        ca.openssl("pkcs8", "-topk8", "-in", good.key().toString(), "-out", "encrypted.key", "-passout", "pass:x");
        Path encrypted = dir.resolve("encrypted.key");
        assertThat(startError(good.cert(), encrypted)).contains("tls_key", encrypted.toString(), "encrypted",
                "openssl pkcs8 -topk8 -nocrypt -in " + encrypted);

        TestCerts.Issued other = ca.issue("push-bad-other", 52, "rsa");
        assertThat(startError(good.cert(), other.key())).contains("does not belong", other.key().toString(),
                good.cert().toString());

        assertThatThrownBy(() -> ConfigLoader.fromYaml(TestServer.DEFAULT_APPS + "\ntls_cert: " + good.cert()
                + "\n", Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("set both");
    }

    @Test
    void withReloadIntervalZeroTheFilesAreReadOnceAndAnUnknownProviderIsRefused() throws Exception {
        Path[] files = serving(ca.issue("push-once", 71, "ec"), "once");
        try (TestServer server = TestServer.start(yaml(files, 0))) {
            Files.copy(ca.issue("push-twice", 72, "ec").cert(), files[0], StandardCopyOption.REPLACE_EXISTING);
            Thread.sleep(2_500);
            assertThat(peerCertificate(server.port()).getSerialNumber().longValue()).isEqualTo(71);
        }
        assertThatThrownBy(() -> start(yaml(serving(ca.issue("push-x", 73, "ec"), "x"), 0), "boringssl"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("push.tls.provider=boringssl")
                .hasMessageContaining("use jdk or openssl");
    }

    private static String startError(Path cert, Path key) {
        ServerConfig cfg = ConfigLoader.fromYaml(TestServer.DEFAULT_APPS + "\nhost: 127.0.0.1\nport: 0\ntls_cert: "
                + cert + "\ntls_key: " + key + "\n", Map.of());
        try (PushServer unexpected = PushServer.start(cfg)) {
            throw new AssertionError("started with " + cert + " / " + key);
        } catch (ConfigException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
