package dev.pushserver.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A test certificate authority and the server certificates it issues, made with the {@code openssl} command-line
 * tool into a directory, as PEM files the way certbot or cert-manager would leave them. Server certificates are
 * valid for 127.0.0.1 and localhost. Clients trust the CA through {@link #sslContext()} or {@link #trustStore}.
 */
public final class TestCerts {

    private final Path dir;
    private final Path caCert;
    private final Path caKey;

    private TestCerts(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca.crt");
        this.caKey = dir.resolve("ca.key");
    }

    /** A new CA in {@code dir}. */
    public static TestCerts authority(Path dir) {
        TestCerts ca = new TestCerts(dir);
        ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=push-server test CA");
        return ca;
    }

    /** A server certificate and its key. */
    public record Issued(Path cert, Path key, String subject, long serial) {
    }

    /**
     * Issues a certificate for 127.0.0.1/localhost with subject {@code CN=cn} and this serial; {@code keyType} is
     * {@code ec} (P-256) or {@code rsa} (2048 bits). The key is written as PKCS#8, the certificate file holds the
     * chain (server certificate, then the CA).
     */
    public Issued issue(String cn, long serial, String keyType) {
        String name = cn + "-" + serial;
        List<String> keyArgs = keyType.equals("rsa") ? List.of("-newkey", "rsa:2048")
                : List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1");
        List<String> req = new ArrayList<>(List.of("req", "-new"));
        req.addAll(keyArgs);
        req.addAll(List.of("-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn));
        openssl(req.toArray(String[]::new));
        try {
            Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    + "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial",
                    Long.toString(serial), "-days", "30", "-out", name + ".leaf", "-extfile", name + ".ext");
            Files.writeString(dir.resolve(name + ".crt"),
                    Files.readString(dir.resolve(name + ".leaf")) + Files.readString(caCert));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new Issued(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), "CN=" + cn, serial);
    }

    /** Runs {@code openssl} with these arguments in the directory; fails the test with its output if it fails. */
    public String openssl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("the openssl command is needed for the TLS tests: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    public X509Certificate caCertificate() {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caCert)));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A PKCS#12 trust store holding only the CA. */
    public KeyStore trustStore() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("push-test-ca", caCertificate());
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The trust store written to a file (for clients that only read {@code javax.net.ssl.trustStore}). */
    public Path trustStoreFile(String password) {
        Path file = dir.resolve("truststore.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            trustStore().store(out, password.toCharArray());
            return file;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client TLS context that trusts the CA and nothing else. */
    public SSLContext sslContext() {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
