package dev.pushserver.fanout;

import dev.pushserver.app.App;

/** Told when this node gains its first local subscriber of a channel and loses its last (a cluster broker listens). */
public interface ChannelInterest {

    void firstSubscriber(App app, String channel);

    void lastSubscriber(App app, String channel);
}
