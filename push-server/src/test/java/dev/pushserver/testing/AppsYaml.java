package dev.pushserver.testing;

/**
 * The {@code apps:} section of a test server's YAML, built from numbered apps: app {@code n} is
 * {@code id: app-n, key: key-n, secret: secret-n} plus its own settings.
 */
public final class AppsYaml {

    private AppsYaml() {
    }

    /** {@code apps:} followed by these entries (from {@link #app}). */
    public static String apps(String... apps) {
        return "apps:\n" + String.join("", apps);
    }

    /** One app entry {@code app-n / key-n / secret-n} with each setting (e.g. {@code "max_connections: 2"}). */
    public static String app(int n, String... settings) {
        StringBuilder sb = new StringBuilder()
                .append("  - id: app-").append(n).append('\n')
                .append("    key: key-").append(n).append('\n')
                .append("    secret: secret-").append(n).append('\n');
        for (String setting : settings) {
            sb.append("    ").append(setting).append('\n');
        }
        return sb.toString();
    }
}
