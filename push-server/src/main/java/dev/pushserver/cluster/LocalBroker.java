package dev.pushserver.cluster;

import dev.pushserver.app.App;
import dev.pushserver.channel.ChannelState;
import dev.pushserver.channel.LoopSubscribers;
import dev.pushserver.channel.Subscription;
import dev.pushserver.connection.Connection;
import dev.pushserver.transport.Frames;
import dev.pushserver.transport.LoopFlusher;
import dev.pushserver.transport.Loops;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One-node broker: encodes the WebSocket frame once and hands each event loop that has subscribers one task that
 * writes retained duplicates of the same bytes to its subscribers, then flushes each of them once.
 */
public final class LocalBroker implements Broker {

    private final Loops loops;
    private final ByteBufAllocator alloc;

    public LocalBroker(Loops loops, ByteBufAllocator alloc) {
        this.loops = loops;
        this.alloc = alloc;
    }

    /**
     * Always queued to each loop, its own included: per loop, messages are then delivered in the order they were
     * published, even when successive publishes come from different loops (e.g. HTTP requests on two
     * connections).
     */
    @Override
    public void publish(App app, String channel, byte[] message, String excludeSocketId, long epoch) {
        ChannelState state = app.channels().get(channel);
        if (state == null) {
            return;
        }
        long upTo = epoch == CURRENT ? state.epoch() : epoch;
        ByteBuf frame = Frames.text(alloc, message);
        try {
            for (int i = 0; i < loops.size(); i++) {
                if (!state.hasSubscribersOn(i)) {
                    continue;
                }
                int index = i;
                frame.retain();
                loops.get(i).execute(() -> deliverOn(index, state, frame, excludeSocketId, upTo));
            }
        } finally {
            frame.release();
        }
    }

    /**
     * Writes to every subscriber on this loop and leaves the flush to the loop's flusher. A subscriber that cannot
     * keep up (more than max_outbound_buffer unsent) is closed instead of buffering without bound.
     */
    private void deliverOn(int loop, ChannelState state, ByteBuf frame, String exclude, long upTo) {
        try {
            LoopSubscribers subs = state.subscribersOn(loop);
            LoopFlusher flusher = loops.flusher(loop);
            for (int k = 0; k < subs.size(); k++) {
                Subscription sub = subs.get(k);
                if (sub.joinEpoch() > upTo) {
                    continue; // joined after this was published
                }
                Connection c = sub.connection();
                if (exclude == null || !exclude.equals(c.socketId())) {
                    if (c.write(frame)) {
                        flusher.mark(c);
                    }
                }
            }
        } finally {
            frame.release();
        }
    }
}
