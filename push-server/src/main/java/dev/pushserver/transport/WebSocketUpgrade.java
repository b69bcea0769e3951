package dev.pushserver.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The server side of the RFC 6455 opening handshake, done once from the request the HTTP codec already parsed: the
 * checks, and the 101 response as raw bytes. Written without a flush, it leaves the socket in the same write as the
 * first Pusher frame (connection_established or the error that refuses the connection): one send per handshake
 * instead of two. Netty's handshaker would build the URL, a response object, a promise and pipeline changes of its
 * own for the same result.
 */
final class WebSocketUpgrade {

    /** RFC 6455 §1.3: appended to the client's key before hashing. */
    private static final byte[] GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEAD = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: ").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** the accept value: base64 of a 20-byte SHA-1 */
    private static final int ACCEPT_LENGTH = 28;
    private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-1, which WebSocket handshakes need", e);
        }
    });

    private WebSocketUpgrade() {
    }

    /** The only WebSocket version there is (RFC 6455); anything else gets 426 with this in the header. */
    static final String VERSION = "13";

    /** True when the request asks for version 13; drafts before RFC 6455 (or no version at all) get 426. */
    static boolean supportedVersion(FullHttpRequest req) {
        String version = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        return version != null && version.trim().equals(VERSION);
    }

    /** Why this upgrade request cannot be answered with 101 (RFC 6455 §4.2.1), or null when it can. */
    static String problem(FullHttpRequest req) {
        HttpHeaders h = req.headers();
        if (!h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            return "Not a WebSocket request: the Connection header must include Upgrade";
        }
        String key = h.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null || key.isBlank()) {
            return "Not a WebSocket request: Sec-WebSocket-Key is missing";
        }
        return null;
    }

    /** The 101 response for this request's key (checked by {@link #problem} first). */
    static ByteBuf response(ByteBufAllocator alloc, FullHttpRequest req) {
        String key = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY).trim();
        MessageDigest sha1 = SHA1.get();
        sha1.update(key.getBytes(StandardCharsets.US_ASCII));
        byte[] accept = Base64.getEncoder().encode(sha1.digest(GUID));
        ByteBuf buf = alloc.buffer(HEAD.length + ACCEPT_LENGTH + END.length);
        return buf.writeBytes(HEAD).writeBytes(accept).writeBytes(END);
    }
}
