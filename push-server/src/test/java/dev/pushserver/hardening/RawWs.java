package dev.pushserver.hardening;

import dev.pushserver.testing.FrameSocket;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** WebSocket bytes by hand: the upgrade request, client frames (masked or not on purpose) and a frame reader. */
final class RawWs {

    static final String PATH = "/app/key-1?protocol=7&client=js&version=8.4.0&flash=false";

    private RawWs() {
    }

    static byte[] upgradeRequest() {
        return ("GET " + PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A client frame with the zero mask key (payload bytes unchanged). */
    static byte[] masked(int firstByte, byte[] payload) {
        int len = payload.length;
        ByteBuffer b = ByteBuffer.allocate(14 + len);
        b.put((byte) firstByte);
        if (len < 126) {
            b.put((byte) (0x80 | len));
        } else if (len <= 0xFFFF) {
            b.put((byte) (0x80 | 126)).putShort((short) len);
        } else {
            b.put((byte) (0x80 | 127)).putLong(len);
        }
        b.putInt(0);
        b.put(payload);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static byte[] maskedText(String text) {
        return masked(0x81, text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code count} copies of {@code frame} back to back. */
    static byte[] repeat(byte[] frame, int count) {
        byte[] out = new byte[frame.length * count];
        for (int i = 0; i < count; i++) {
            System.arraycopy(frame, 0, out, i * frame.length, frame.length);
        }
        return out;
    }

    /**
     * Upgrades a blocking channel (request written, response head read byte by byte so no frame byte is consumed);
     * returns the status line. The channel is left in blocking mode.
     */
    static String upgrade(SocketChannel ch) throws IOException {
        ch.configureBlocking(true);
        ch.write(ByteBuffer.wrap(upgradeRequest()));
        return readHead(ch.socket().getInputStream());
    }

    /** The HTTP response head up to the empty line; returns the status line ("EOF" if none). */
    static String readHead(InputStream in) throws IOException {
        return FrameSocket.readHeaders(in);
    }

    /** What a connection showed until its close frame, the end of the stream or the deadline. */
    record Ending(List<String> texts, Integer closeCode, boolean ended, long millis) {
    }

    /**
     * Reads server frames (the socket must have an SO_TIMEOUT) until a close frame, the end of the stream, or
     * {@code millis}; {@code closeCode} is null when no close frame came.
     */
    static Ending readUntilClose(InputStream in, long millis) throws IOException {
        long start = System.currentTimeMillis();
        long deadline = start + millis;
        List<String> texts = new ArrayList<>();
        while (System.currentTimeMillis() < deadline) {
            int b0;
            try {
                b0 = in.read();
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                return new Ending(texts, null, true, System.currentTimeMillis() - start);
            }
            if (b0 < 0) {
                return new Ending(texts, null, true, System.currentTimeMillis() - start);
            }
            try {
                int b1 = readByte(in);
                long len = b1 & 0x7F;
                if (len == 126) {
                    len = (readByte(in) << 8) | readByte(in);
                } else if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; i++) {
                        len = (len << 8) | readByte(in);
                    }
                }
                byte[] payload = in.readNBytes((int) len);
                int opcode = b0 & 0x0F;
                if (opcode == 0x1) {
                    texts.add(new String(payload, StandardCharsets.UTF_8));
                } else if (opcode == 0x8) {
                    int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
                    return new Ending(texts, code, false, System.currentTimeMillis() - start);
                }
            } catch (IOException e) {
                return new Ending(texts, null, true, System.currentTimeMillis() - start);
            }
        }
        return new Ending(texts, null, false, System.currentTimeMillis() - start);
    }

    private static int readByte(InputStream in) throws IOException {
        while (true) {
            try {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException();
                }
                return b;
            } catch (SocketTimeoutException e) {
                // a frame is being received: keep waiting for its bytes
            }
        }
    }
}
