package dev.pushserver.hardening;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The YAML of a hardening test's server: server-level lines and the settings of app-1 ({@code app-1 / key-1 /
 * secret-1}, client events on). Every server starts with {@code shutdown_grace_period: 0} (so that a failing test does
 * not hang in the grace period) and with per-IP connection caps that leave room for what the test itself opens from
 * 127.0.0.1 ({@code max_connections_per_ip: 1000}, {@code max_new_connections_per_ip_per_second: 1000}); a test
 * that exercises a cap sets its own value, which replaces the default.
 *
 * <p>With {@code -Dhardening.legacy=true} the configuration keys introduced by the hardening (issue 8) are left out,
 * so that the attack part of each test can be run against a build that does not know them yet: the assertions then
 * show the old behaviour (memory growth, no close, echoed path ...) instead of start-up failing on unknown keys. This
 * switch only exists to check that the tests can fail for the right reason; normal runs never set it.
 */
final class HardeningYaml {

    /** Server-level keys that the hardening adds. */
    static final Set<String> NEW_SERVER_KEYS = Set.of("max_connections", "max_connections_per_ip",
            "max_new_connections_per_ip_per_second", "http_header_timeout", "http_body_timeout", "http_idle_timeout",
            "max_concurrent_request_bodies");

    /** App keys that the hardening adds. */
    static final Set<String> NEW_APP_KEYS = Set.of("max_channels_per_connection", "max_messages_per_second",
            "max_subscriptions_per_second", "max_channels_per_query");

    static boolean legacy() {
        return Boolean.getBoolean("hardening.legacy");
    }

    private final Map<String, String> server = new LinkedHashMap<>();
    private final Map<String, String> app = new LinkedHashMap<>();

    private HardeningYaml() {
        server("shutdown_grace_period: 0", "max_connections_per_ip: 1000",
                "max_new_connections_per_ip_per_second: 1000");
        app("enable_client_messages: true");
    }

    static HardeningYaml yaml() {
        return new HardeningYaml();
    }

    /** Server-level settings, each {@code "key: value"}. */
    HardeningYaml server(String... lines) {
        for (String l : lines) {
            server.remove(key(l));
            if (!(legacy() && NEW_SERVER_KEYS.contains(key(l)))) {
                server.put(key(l), l);
            }
        }
        return this;
    }

    /** Settings of app-1, each {@code "key: value"}. */
    HardeningYaml app(String... lines) {
        for (String l : lines) {
            app.remove(key(l));
            if (!(legacy() && NEW_APP_KEYS.contains(key(l)))) {
                app.put(key(l), l);
            }
        }
        return this;
    }

    private static String key(String line) {
        return line.substring(0, line.indexOf(':')).trim();
    }

    String build() {
        StringBuilder sb = new StringBuilder();
        for (String l : server.values()) {
            sb.append(l).append('\n');
        }
        sb.append("apps:\n  - id: app-1\n    key: key-1\n    secret: secret-1\n");
        for (String l : app.values()) {
            sb.append("    ").append(l).append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return build();
    }
}
