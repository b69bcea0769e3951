package dev.pushserver.event;

import dev.pushserver.app.App;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queues events for a listener that may be slow and runs it on its own executor, one event at a time and in order.
 * The deciding thread only appends to a queue.
 */
final class AsyncListener implements ChannelEventListener, Runnable {

    private static final Logger log = LoggerFactory.getLogger(AsyncListener.class);

    private final ChannelEventListener delegate;
    private final Executor executor;
    private final Queue<ChannelEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    AsyncListener(ChannelEventListener delegate, Executor executor) {
        this.delegate = delegate;
        this.executor = executor;
    }

    @Override
    public boolean wants(App app, EventType type) {
        return delegate.wants(app, type);
    }

    @Override
    public void onEvent(ChannelEvent event) {
        queue.add(event);
        if (scheduled.compareAndSet(false, true)) {
            executor.execute(this);
        }
    }

    @Override
    public void run() {
        do {
            ChannelEvent e;
            while ((e = queue.poll()) != null) {
                try {
                    delegate.onEvent(e);
                } catch (RuntimeException ex) {
                    log.error("channel event listener {} failed on {}: {}", delegate, e.type(), ex.toString(), ex);
                }
            }
            scheduled.set(false);
            // an event added after the last poll but before the flag was cleared is picked up here
        } while (!queue.isEmpty() && scheduled.compareAndSet(false, true));
    }

    @Override
    public String toString() {
        return "async " + delegate;
    }
}
