package dev.pushserver.transport;

import dev.pushserver.app.App;
import dev.pushserver.connection.Connection;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upgraded WebSocket: admits or rejects the connection, hands its text messages to the core's dispatcher,
 * answers WebSocket pings, and tells the core when the connection has gone.
 *
 * <p>It is the only stage behind Netty's frame decoder: it checks that text is UTF-8 (close 1007) and puts
 * fragmented messages back together itself (up to max_frame_size, else 1009), work that Netty's validator and
 * aggregator would do in two more pipeline stages on every connection for the rare client that fragments.
 */
final class PusherWebSocketHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    private static final Logger log = LoggerFactory.getLogger(PusherWebSocketHandler.class);

    private final ServerContext server;
    private final Transport transport;
    /** until admitted */
    private ConnectionRequest request;
    private final int maxMessageSize;
    private NettySession session;
    /** a fragmented text message being put together, or null */
    private ByteBuf fragments;
    /** inside a fragmented binary message: its fragments are dropped and one error answers it */
    private boolean binaryFragments;
    private Connection conn;
    private boolean rejected;

    PusherWebSocketHandler(ServerContext server, Transport transport, ConnectionRequest request,
            int maxMessageSize) {
        this.server = server;
        this.transport = transport;
        this.request = request;
        this.maxMessageSize = maxMessageSize;
    }

    /** Runs once the upgrade response has been written. */
    void admit(ChannelHandlerContext ctx) {
        if (!request.ok()) {
            reject(ctx, request.errorCode(), request.errorMessage());
            return;
        }
        if (server.isStopping()) {
            reject(ctx, ErrorCodes.RECONNECT_IMMEDIATELY, "Server is shutting down; reconnect");
            return;
        }
        if (ConnectionGuard.overQuota(ctx.channel())) {
            reject(ctx, ErrorCodes.OVER_CAPACITY, "Too many connections from your address; reconnect later");
            return;
        }
        App app = request.app();
        ConnectionRequest asked = request;
        request = null; // only admission needs it
        int loop = transport.loops().indexOf(ctx.channel().eventLoop());
        ThreadLocalRandom r = ThreadLocalRandom.current();
        String socketId = r.nextLong(1, 10_000_000_000L) + "." + r.nextLong(1, 10_000_000_000L);
        NettySession s = new NettySession(ctx.channel(), app, socketId, loop, transport.loops().flusher(loop),
                transport.metrics().app(app));
        Connection c = server.dispatcher().open(s);
        if (c == null) {
            rejected = true; // the dispatcher is closing it
            return;
        }
        session = s;
        conn = c;
        s.meters().connectionOpened();
        transport.liveness().add(s);
        log.debug("{} opened from {} (protocol {})", s, ctx.channel().remoteAddress(), asked.protocol());
    }

    /** Complete-the-upgrade-then-close (reference §1.1): error event with the code, then a close frame. */
    private void reject(ChannelHandlerContext ctx, int code, String message) {
        rejected = true;
        ctx.write(Frames.text(ctx.alloc(), Messages.error(message, code)), ctx.voidPromise());
        ctx.writeAndFlush(Frames.close(ctx.alloc(), code, message));
        ctx.executor().schedule(() -> ctx.close(), 2, TimeUnit.SECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        NettySession s = session;
        if (frame instanceof CloseWebSocketFrame close) {
            if (s != null) {
                s.onCloseFrame(close.statusCode() < 0 ? 1005 : close.statusCode());
            } else {
                ctx.close();
            }
            return;
        }
        if (s == null || s.isClosing()) {
            return;
        }
        s.markActive(System.nanoTime());
        if (frame instanceof TextWebSocketFrame text) {
            if (text.isFinalFragment()) {
                textMessage(ctx, text.content());
            } else {
                fragments = ctx.alloc().buffer(Math.min(text.content().readableBytes() * 2, maxMessageSize));
                appendFragment(ctx, text.content(), false);
            }
        } else if (frame instanceof ContinuationWebSocketFrame more) {
            // the decoder has checked the order: a continuation always follows a non-final text or binary frame
            if (fragments != null) {
                appendFragment(ctx, more.content(), more.isFinalFragment());
            } else if (more.isFinalFragment() && binaryFragments) {
                binaryFragments = false;
                binaryMessage();
            }
        } else if (frame instanceof BinaryWebSocketFrame && !frame.isFinalFragment()) {
            binaryFragments = true;
        } else if (frame instanceof PingWebSocketFrame ping) {
            if (server.dispatcher().frame(conn)) { // pings count against the message limit too
                s.pong(ping.content().retain());
            }
        } else if (frame instanceof BinaryWebSocketFrame) {
            binaryMessage();
        }
        // pong frames only count as activity
    }

    private void binaryMessage() {
        if (server.dispatcher().frame(conn)) {
            session.send(Messages.error("Binary frames are not supported: send JSON text frames", null));
        }
    }

    /** A whole text message: UTF-8 (RFC 6455 §8.1: else fail the connection with 1007), then the core has it. */
    private void textMessage(ChannelHandlerContext ctx, ByteBuf content) {
        if (!ByteBufUtil.isText(content, StandardCharsets.UTF_8)) {
            closeOnBadFrame(ctx, 1007, "Text frame is not valid UTF-8");
            return;
        }
        session.meters().messageIn(content.readableBytes());
        server.dispatcher().message(conn, ByteBufUtil.getBytes(content));
    }

    private void appendFragment(ChannelHandlerContext ctx, ByteBuf content, boolean last) {
        if (fragments.readableBytes() + content.readableBytes() > maxMessageSize) {
            dropFragments();
            closeOnBadFrame(ctx, ErrorCodes.MESSAGE_TOO_BIG, "Message is larger than " + maxMessageSize + " bytes");
            return;
        }
        fragments.writeBytes(content);
        if (last) {
            ByteBuf whole = fragments;
            fragments = null;
            try {
                textMessage(ctx, whole);
            } finally {
                whole.release();
            }
        }
    }

    private void dropFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropFragments();
    }

    /** Stop reading from a client that does not read what it is sent; read again once it has caught up. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        dropFragments();
        NettySession s = session;
        if (s != null) {
            session = null;
            transport.liveness().remove(s);
            server.dispatcher().closed(conn);
            s.meters().connectionClosed(s.closeCode());
            log.debug("{} closed", s);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException bad) {
            int code = bad.closeStatus().code();
            closeOnBadFrame(ctx, code, bad.getMessage());
        } else if (cause instanceof TooLongFrameException tooLong) {
            closeOnBadFrame(ctx, ErrorCodes.MESSAGE_TOO_BIG, tooLong.getMessage());
        } else if (cause instanceof IOException) {
            ctx.close(); // peer reset: nothing to tell it
        } else {
            log.warn("closing {} after unexpected error: {}", session != null ? session : ctx.channel(),
                    cause.toString());
            ctx.close();
        }
    }

    /** The decoder cannot continue after a bad frame: tell the client why and close with the WebSocket code. */
    private void closeOnBadFrame(ChannelHandlerContext ctx, int code, String reason) {
        String message = reason == null ? "Invalid WebSocket frame" : reason;
        if (session != null) {
            session.close(code, message);
        } else if (!rejected) {
            reject(ctx, code, message);
        } else {
            ctx.close();
        }
    }
}
