package dev.pushserver.config;

import java.nio.file.Path;

/**
 * How the server is run and watched: metrics, TLS and the debug console.
 *
 * @param metricsEnabled   serve Prometheus metrics at {@code /metrics}
 * @param metricsPort      0 serves {@code /metrics} on the main port; else on its own listener (plain HTTP)
 * @param metricsToken     when set, {@code /metrics} wants {@code Authorization: Bearer <token>}
 * @param tlsCert          PEM certificate chain; with {@code tlsKey} every listener speaks TLS (wss, https)
 * @param tlsKey           PEM private key (PKCS#8 or PKCS#1, unencrypted)
 * @param tlsReloadSeconds how often the two files are checked for a change (certificate rotation); 0 = never
 * @param consoleEnabled   serve the live debug console at {@code /console} (it also needs {@code admin_token})
 * @param transport        the I/O engine: auto, io_uring, epoll or nio
 */
public record Operations(
        boolean metricsEnabled,
        int metricsPort,
        String metricsToken,
        Path tlsCert,
        Path tlsKey,
        int tlsReloadSeconds,
        boolean consoleEnabled,
        String transport) {

    /** Metrics on the main port without a token, no TLS, console on (it still needs admin_token). */
    public static final Operations DEFAULTS = new Operations(true, 0, null, null, null, 10, true, "auto");

    public boolean tls() {
        return tlsCert != null && tlsKey != null;
    }

    public boolean separateMetricsPort() {
        return metricsEnabled && metricsPort != 0;
    }
}
