package dev.pushserver.transport;

import dev.pushserver.api.AdminHandler;
import dev.pushserver.api.ApiHandler;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.core.ClientDispatcher;

/** What the per-connection handlers need from the running server. */
public interface ServerContext {

    ServerConfig config();

    AppRegistry apps();

    ClientDispatcher dispatcher();

    ApiHandler api();

    AdminHandler admin();

    boolean isStopping();

    /** The debug console, or null when it is off (then /console is a 404). */
    default dev.pushserver.console.Console console() {
        return null;
    }

    /** Null when the server can serve (for /ready), else why not: stopping, or a required dependency is down. */
    default String notReady() {
        return isStopping() ? "Server is shutting down" : null;
    }
}
