package dev.pushserver.fanout;

import dev.pushserver.app.App;
import dev.pushserver.metrics.AppMeters;

/**
 * The local subscribers of one channel, in one array per event loop that only that loop touches, so delivery needs
 * no lock. A loop's array is created by that loop when its first subscriber arrives: a channel with one subscriber
 * costs one array, not one per loop. It exists while this node has at least one subscriber (pending ones included).
 */
final class LocalChannel {

    final App app;
    final String name;
    /** the app's meters, resolved once per channel so that delivery only adds to them */
    final AppMeters meters;
    /**
     * Written by the owning loop only; other threads read an entry as a hint (null or empty: nothing to deliver
     * there). A publisher whose message must reach a subscriber is ordered after its registration by the store's
     * lock, which makes the entry visible to it.
     */
    private final LoopSubscribers[] loops;
    /** local subscribers, pending ones included; guarded by this */
    int count;
    /** set under this when the last subscriber left; a removed channel is never reused */
    boolean removed;

    LocalChannel(App app, String name, int loopCount, AppMeters meters) {
        this.app = app;
        this.name = name;
        this.meters = meters;
        this.loops = new LoopSubscribers[loopCount];
    }

    /** The subscribers on {@code loop}, created if needed; call on that loop. */
    LoopSubscribers on(int loop) {
        LoopSubscribers l = loops[loop];
        if (l == null) {
            l = new LoopSubscribers();
            loops[loop] = l;
        }
        return l;
    }

    /** Cheap cross-thread check used to skip loops with nobody to deliver to. */
    boolean hasSubscribersOn(int loop) {
        LoopSubscribers l = loops[loop];
        return l != null && l.size() > 0;
    }
}
