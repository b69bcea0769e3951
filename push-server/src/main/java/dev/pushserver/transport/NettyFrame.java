package dev.pushserver.transport;

import dev.pushserver.session.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** A complete WebSocket text frame in one buffer, written as retained duplicates to every recipient. */
record NettyFrame(ByteBuf buf) implements Frame {

    @Override
    public Frame retain() {
        buf.retain();
        return this;
    }

    @Override
    public void release() {
        buf.release();
    }

    static Frame.Encoder encoder(ByteBufAllocator alloc) {
        return message -> new NettyFrame(Frames.text(alloc, message));
    }
}
