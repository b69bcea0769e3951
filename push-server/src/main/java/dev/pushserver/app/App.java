package dev.pushserver.app;

import dev.pushserver.config.AppConfig;

/**
 * A tenant: its credentials, switches and limits. Its run-time state (connections, channels, members) is kept by
 * the components that own each kind of state, keyed by the app, so an app never sees another's traffic.
 */
public final class App {

    private final AppConfig config;

    public App(AppConfig config) {
        this.config = config;
    }

    public AppConfig config() {
        return config;
    }

    public String id() {
        return config.id();
    }

    public String key() {
        return config.key();
    }

    public String secret() {
        return config.secret();
    }

    @Override
    public String toString() {
        return "app " + config.id();
    }
}
