package dev.pushserver.transport;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The event loops serving connections, numbered so that per-loop state (subscriber lists, liveness sweeps) can be
 * kept in plain arrays touched only by their own loop.
 */
final class Loops {

    private final EventLoop[] loops;
    private final LoopFlusher[] flushers;
    private final Map<EventExecutor, Integer> index = new IdentityHashMap<>();

    Loops(EventLoopGroup group) {
        List<EventLoop> list = new ArrayList<>();
        for (EventExecutor e : group) {
            index.put(e, list.size());
            list.add((EventLoop) e);
        }
        this.loops = list.toArray(new EventLoop[0]);
        this.flushers = new LoopFlusher[loops.length];
        for (int i = 0; i < loops.length; i++) {
            flushers[i] = new LoopFlusher(loops[i]);
        }
    }

    /** The loops in index order. */
    List<EventLoop> all() {
        return List.of(loops);
    }

    int size() {
        return loops.length;
    }

    EventLoop get(int i) {
        return loops[i];
    }

    /** The flusher of loop {@code i}; use it on that loop only. */
    LoopFlusher flusher(int i) {
        return flushers[i];
    }

    int indexOf(EventLoop loop) {
        Integer i = index.get(loop);
        if (i == null) {
            throw new IllegalStateException("event loop is not part of the server's group");
        }
        return i;
    }
}
