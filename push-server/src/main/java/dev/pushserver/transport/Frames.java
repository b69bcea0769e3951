package dev.pushserver.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;

/**
 * Pre-encodes a complete unmasked WebSocket text frame (header + payload) into one buffer, so a fan-out writes the
 * same bytes to every recipient (retained duplicates) and the per-channel WebSocket encoder just passes them on.
 */
public final class Frames {

    private Frames() {
    }

    /** RFC 6455 caps a control frame's payload at 125 bytes: 2 for the code, at most 123 for the reason. */
    static final int MAX_CLOSE_REASON_BYTES = 123;

    /**
     * A close frame whose reason is cut to fit a control frame at a UTF-8 character boundary (clients fail the
     * connection with 1002 on a longer one); the full text goes in the {@code pusher:error} sent before it.
     */
    public static CloseWebSocketFrame close(int code, String reason) {
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_CLOSE_REASON_BYTES) {
            return new CloseWebSocketFrame(code, reason);
        }
        int end = MAX_CLOSE_REASON_BYTES;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--; // do not split a multi-byte character
        }
        return new CloseWebSocketFrame(code, new String(bytes, 0, end, StandardCharsets.UTF_8));
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
