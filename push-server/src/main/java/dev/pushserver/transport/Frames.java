package dev.pushserver.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Pre-encodes a complete unmasked WebSocket text frame (header + payload) into one buffer, so a fan-out writes the
 * same bytes to every recipient (retained duplicates) and the per-channel WebSocket encoder just passes them on.
 */
public final class Frames {

    private Frames() {
    }

    public static ByteBuf text(ByteBufAllocator alloc, byte[] payload) {
        int len = payload.length;
        int header = len < 126 ? 2 : len <= 0xFFFF ? 4 : 10;
        ByteBuf buf = alloc.directBuffer(header + len, header + len);
        buf.writeByte(0x81); // FIN + text opcode
        if (len < 126) {
            buf.writeByte(len);
        } else if (len <= 0xFFFF) {
            buf.writeByte(126);
            buf.writeShort(len);
        } else {
            buf.writeByte(127);
            buf.writeLong(len);
        }
        buf.writeBytes(payload);
        return buf;
    }
}
