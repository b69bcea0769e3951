package dev.pushserver.fanout;

import dev.pushserver.session.Frame;
import dev.pushserver.session.Session;
import java.util.ArrayList;
import java.util.List;

/**
 * One session's registration for a channel's messages on this node. It is pending from {@link LocalFanout#add} until
 * the store has decided the join ({@link LocalFanout#activate}): messages for it are kept meanwhile and then
 * delivered or dropped by the version the join got, so none is lost or duplicated while the answer is on its way.
 * Touched only on its session's loop.
 */
public final class Subscription {

    static final long PENDING = -1;

    final LocalChannel channel;
    final Session session;
    /** the presence identity this subscription joined as, or null */
    private final String userId;
    /** index in the channel's subscriber list of this loop */
    int slot = -1;
    long joinVersion = PENDING;
    /** messages that arrived while pending, with their versions */
    private List<Held> held;

    Subscription(LocalChannel channel, Session session, String userId) {
        this.channel = channel;
        this.session = session;
        this.userId = userId;
    }

    public String channel() {
        return channel.name;
    }

    public String userId() {
        return userId;
    }

    void hold(Frame frame, long version) {
        if (held == null) {
            held = new ArrayList<>(2);
        }
        held.add(new Held(frame.retain(), version));
    }

    /** Delivers what was held that this subscription may see, then forgets it all. */
    void releaseHeld(boolean deliver) {
        List<Held> h = held;
        held = null;
        if (h == null) {
            return;
        }
        for (Held m : h) {
            try {
                if (deliver && joinVersion < m.version) {
                    session.deliver(m.frame);
                }
            } finally {
                m.frame.release();
            }
        }
    }

    private record Held(Frame frame, long version) {
    }
}
