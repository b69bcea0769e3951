package dev.pushserver.transport;

import dev.pushserver.api.ApiHandler;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.channel.ChannelService;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.user.UserService;

/** What the per-connection handlers need from the running server. */
public interface ServerContext {

    ServerConfig config();

    AppRegistry apps();

    Loops loops();

    Liveness liveness();

    ChannelService channels();

    UserService users();

    ApiHandler api();

    boolean isStopping();

    /** Called after a WebSocket connection has been cleaned up. */
    void connectionClosed();
}
