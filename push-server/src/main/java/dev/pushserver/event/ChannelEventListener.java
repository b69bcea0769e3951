package dev.pushserver.event;

import dev.pushserver.app.App;

/**
 * Receives channel events. Called on the thread that decided the transition, in {@code seq} order, while the
 * deciding lock is held: {@link #onEvent} must be quick and must never block or call back into the store. Anything
 * slower (webhooks, I/O) registers through {@link EventStream#listenAsync}, which hands events to its own executor.
 */
public interface ChannelEventListener {

    /** Whether this listener wants events of {@code type} for {@code app}; asked once per app and type. */
    boolean wants(App app, EventType type);

    void onEvent(ChannelEvent event);
}
