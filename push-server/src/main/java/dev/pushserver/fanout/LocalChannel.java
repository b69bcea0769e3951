package dev.pushserver.fanout;

import dev.pushserver.app.App;

/**
 * The local subscribers of one channel, in one array per event loop that only that loop touches, so delivery needs
 * no lock. It exists while this node has at least one subscriber (pending ones included).
 */
final class LocalChannel {

    final App app;
    final String name;
    private final LoopSubscribers[] loops;
    /** local subscribers, pending ones included; guarded by this */
    int count;
    /** set under this when the last subscriber left; a removed channel is never reused */
    boolean removed;

    LocalChannel(App app, String name, int loopCount) {
        this.app = app;
        this.name = name;
        this.loops = new LoopSubscribers[loopCount];
        for (int i = 0; i < loopCount; i++) {
            loops[i] = new LoopSubscribers();
        }
    }

    LoopSubscribers on(int loop) {
        return loops[loop];
    }

    /** Cheap cross-thread check used to skip loops with nobody to deliver to. */
    boolean hasSubscribersOn(int loop) {
        return loops[loop].size() > 0;
    }
}
