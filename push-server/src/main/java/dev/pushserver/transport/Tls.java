package dev.pushserver.transport;

import dev.pushserver.config.ConfigException;
import dev.pushserver.config.Operations;
import dev.pushserver.session.Guarded;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for every listener from the PEM files {@code tls_cert} and {@code tls_key}: the server context (OpenSSL via
 * netty-tcnative's BoringSSL where it loads, the JDK provider otherwise), and its reload. Every
 * {@code tls_reload_interval} seconds a thread of its own (never an event loop) reads both files; when their
 * contents changed, it builds a new context and swaps it in: connections accepted after that use it, open ones keep
 * the one they shook hands with. A new pair that does not load (half written, key and certificate from different
 * issuances) leaves the old context serving, is logged once, and is tried again when the files change again.
 * The provider can be forced with {@code -Dpush.tls.provider=jdk} (or {@code openssl}).
 */
public final class Tls implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Tls.class);

    /** Name of the TLS handler, first in every connection's pipeline. */
    static final String HANDLER = "tls";
    /** Name of the handler right behind it (see {@link TlsFailures}). */
    static final String BEHIND = "tls-failures";
    static final String PROVIDER_PROPERTY = "push.tls.provider";

    private final Path certPath;
    private final Path keyPath;
    private final SslProvider provider;
    private final long handshakeTimeoutMillis;
    private final ScheduledExecutorService reloader;
    private volatile Loaded current;
    /** digest of the files last tried (loaded or not): a broken pair is reported once, retried when it changes */
    private byte[] tried;
    /** set while a file cannot be read, so that this is logged once */
    private boolean unreadable;

    private record Loaded(SslContext context, X509Certificate leaf) {
    }

    private Tls(Operations ops, SslProvider provider, long handshakeTimeoutMillis) {
        this.certPath = ops.tlsCert();
        this.keyPath = ops.tlsKey();
        this.provider = provider;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        Snapshot files = read(); // at start a problem is a configuration error: ConfigException
        this.current = build(files);
        this.tried = files.digest;
        if (ops.tlsReloadSeconds() > 0) {
            this.reloader = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tls-reload");
                t.setDaemon(true);
                return t;
            });
            int every = ops.tlsReloadSeconds();
            reloader.scheduleWithFixedDelay(Guarded.task("TLS reload", this::reloadIfChanged), every, every,
                    TimeUnit.SECONDS);
        } else {
            this.reloader = null;
        }
        log.info("TLS on every listener: provider {}, certificate {} (serial {}, expires {}), from {} and {}; {}",
                providerName(), current.leaf.getSubjectX500Principal().getName(),
                current.leaf.getSerialNumber().toString(16), current.leaf.getNotAfter().toInstant(), certPath, keyPath,
                ops.tlsReloadSeconds() > 0 ? "files checked for a new certificate every " + ops.tlsReloadSeconds()
                        + " s" : "no reload (tls_reload_interval 0)");
        warnIfExpired(current.leaf);
    }

    /**
     * TLS as configured, or null when {@code tls_cert}/{@code tls_key} are not set.
     *
     * @throws ConfigException when a file is missing or does not hold a usable certificate chain and key
     */
    public static Tls start(Operations ops, int handshakeTimeoutSeconds) {
        if (!ops.tls()) {
            return null;
        }
        return new Tls(ops, chooseProvider(System.getProperty(PROVIDER_PROPERTY)),
                TimeUnit.SECONDS.toMillis(handshakeTimeoutSeconds));
    }

    static SslProvider chooseProvider(String forced) {
        if (forced == null || forced.isBlank()) {
            return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        }
        switch (forced.trim().toLowerCase(Locale.ROOT)) {
            case "jdk":
                return SslProvider.JDK;
            case "openssl":
                if (!OpenSsl.isAvailable()) {
                    throw new ConfigException("-D" + PROVIDER_PROPERTY + "=openssl: netty-tcnative (BoringSSL) does "
                            + "not load on this platform: " + OpenSsl.unavailabilityCause());
                }
                return SslProvider.OPENSSL;
            default:
                throw new ConfigException("-D" + PROVIDER_PROPERTY + "=" + forced + ": use jdk or openssl");
        }
    }

    /**
     * Where ready-made bytes (pre-encoded WebSocket frames) enter the pipeline to reach the socket: the first stage,
     * or, under TLS, the one right behind the TLS handler, so that they are encrypted.
     */
    static ChannelHandlerContext wireContext(ChannelPipeline pipeline) {
        ChannelHandlerContext behind = pipeline.context(BEHIND);
        return behind != null ? behind : pipeline.firstContext();
    }

    /** A new TLS handler for an accepted connection, with the context current now. */
    SslHandler newHandler(ByteBufAllocator alloc) {
        SslHandler handler = current.context.newHandler(alloc);
        handler.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        return handler;
    }

    /** "OpenSSL (BoringSSL)" or "JDK". */
    public String providerName() {
        return provider == SslProvider.JDK ? "JDK" : "OpenSSL (" + OpenSsl.versionString() + ")";
    }

    /** The certificate new connections are served. */
    public X509Certificate certificate() {
        return current.leaf;
    }

    /**
     * Reads both files and, when they differ from what was last tried, loads them and swaps the context. On the
     * reload thread only (or a test's).
     */
    synchronized void reloadIfChanged() {
        Snapshot files;
        try {
            files = read();
        } catch (ConfigException e) {
            // a file being replaced (deleted, not yet renamed into place) is back at the next check; one gone for
            // good is reported once, while the certificate loaded before keeps serving
            if (!unreadable) {
                unreadable = true;
                log.warn("TLS: {}; still serving certificate {} (serial {})", e.getMessage(),
                        current.leaf.getSubjectX500Principal().getName(), current.leaf.getSerialNumber().toString(16));
            }
            return;
        }
        unreadable = false;
        if (Arrays.equals(files.digest, tried)) {
            return;
        }
        tried = files.digest;
        try {
            Loaded next = build(files);
            X509Certificate old = current.leaf;
            current = next;
            log.info("TLS: new certificate loaded for new connections: {} (serial {}, expires {}); was {} (serial {})",
                    next.leaf.getSubjectX500Principal().getName(), next.leaf.getSerialNumber().toString(16),
                    next.leaf.getNotAfter().toInstant(), old.getSubjectX500Principal().getName(),
                    old.getSerialNumber().toString(16));
            warnIfExpired(next.leaf);
        } catch (RuntimeException e) {
            log.error("TLS: the changed {} / {} cannot be used, still serving certificate {} (serial {}); it is tried "
                    + "again when the files change: {}", certPath, keyPath,
                    current.leaf.getSubjectX500Principal().getName(), current.leaf.getSerialNumber().toString(16),
                    e.getMessage());
        }
    }

    private record Snapshot(byte[] cert, byte[] key, byte[] digest) {
    }

    private Snapshot read() {
        byte[] cert = readFile(certPath, "tls_cert");
        byte[] key = readFile(keyPath, "tls_key");
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(cert);
            sha.update((byte) 0);
            sha.update(key);
            return new Snapshot(cert, key, sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readFile(Path path, String key) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ConfigException("config key " + key + ": cannot read " + path + " (" + e + ")");
        }
    }

    private Loaded build(Snapshot files) {
        PemFiles.Pair pair = PemFiles.read(files.cert, certPath, files.key, keyPath);
        try {
            SslContext context = SslContextBuilder.forServer(pair.key(), pair.chain()).sslProvider(provider)
                    .protocols("TLSv1.3", "TLSv1.2").build();
            return new Loaded(context, pair.leaf());
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigException("config keys tls_cert and tls_key: the " + providerName() + " TLS provider "
                    + "cannot use " + certPath + " and " + keyPath + ": " + e.getMessage());
        }
    }

    private void warnIfExpired(X509Certificate leaf) {
        Instant notAfter = leaf.getNotAfter().toInstant();
        Instant now = Instant.now();
        if (notAfter.isBefore(now)) {
            log.warn("TLS: certificate {} expired at {}: clients will refuse it; replace {}",
                    leaf.getSubjectX500Principal().getName(), notAfter, certPath);
        } else if (notAfter.isBefore(now.plus(Duration.ofDays(7)))) {
            log.warn("TLS: certificate {} expires at {}, in less than 7 days", leaf.getSubjectX500Principal().getName(),
                    notAfter);
        }
    }

    @Override
    public void close() {
        if (reloader != null) {
            reloader.shutdownNow();
        }
    }
}
