package dev.pushserver.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Pre-encodes complete unmasked WebSocket frames (header + payload) into one buffer each, so a fan-out writes the
 * same bytes to every recipient (retained duplicates). Pusher connections have no WebSocket encoder: everything
 * written to them is one of these.
 */
public final class Frames {

    private Frames() {
    }

    /** RFC 6455 caps a control frame's payload at 125 bytes: 2 for the code, at most 123 for the reason. */
    static final int MAX_CLOSE_REASON_BYTES = 123;
    private static final int OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA;

    /**
     * A close frame whose reason is cut to fit a control frame at a UTF-8 character boundary (clients fail the
     * connection with 1002 on a longer one); the full text goes in the {@code pusher:error} sent before it.
     */
    public static CloseWebSocketFrame close(int code, String reason) {
        return new CloseWebSocketFrame(code, new String(reasonBytes(reason), StandardCharsets.UTF_8));
    }

    /** {@link #close(int, String)} pre-encoded, for connections without a WebSocket encoder (Pusher ones). */
    static ByteBuf close(ByteBufAllocator alloc, int code, String reason) {
        byte[] why = reasonBytes(reason);
        ByteBuf buf = alloc.buffer(4 + why.length, 4 + why.length);
        return buf.writeByte(0x80 | OP_CLOSE).writeByte(2 + why.length).writeShort(code).writeBytes(why);
    }

    /** A pong carrying the ping's payload (at most 125 bytes, the decoder checked); takes ownership of it. */
    static ByteBuf pong(ByteBufAllocator alloc, ByteBuf payload) {
        try {
            int len = payload.readableBytes();
            return alloc.buffer(2 + len, 2 + len).writeByte(0x80 | OP_PONG).writeByte(len).writeBytes(payload);
        } finally {
            payload.release();
        }
    }

    /** An empty ping. */
    static ByteBuf ping(ByteBufAllocator alloc) {
        return alloc.buffer(2, 2).writeByte(0x80 | OP_PING).writeByte(0);
    }

    private static byte[] reasonBytes(String reason) {
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_CLOSE_REASON_BYTES) {
            return bytes;
        }
        int end = MAX_CLOSE_REASON_BYTES;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--; // do not split a multi-byte character
        }
        return Arrays.copyOf(bytes, end);
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
