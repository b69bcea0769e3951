package dev.pushserver.transport;

import dev.pushserver.app.App;
import dev.pushserver.connection.Connection;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Messages;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upgraded WebSocket: admits or rejects the connection, hands its text messages to the core's dispatcher,
 * answers WebSocket pings, and tells the core when the connection has gone.
 */
final class PusherWebSocketHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    private static final Logger log = LoggerFactory.getLogger(PusherWebSocketHandler.class);

    private final ServerContext server;
    private final Transport transport;
    private final ConnectionRequest request;
    private NettySession session;
    private Connection conn;
    private boolean rejected;

    PusherWebSocketHandler(ServerContext server, Transport transport, ConnectionRequest request) {
        this.server = server;
        this.transport = transport;
        this.request = request;
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
        if (Boolean.TRUE.equals(ctx.channel().attr(ConnectionGuard.OVER_QUOTA).get())) {
            reject(ctx, ErrorCodes.OVER_CAPACITY, "Too many connections from your address; reconnect later");
            return;
        }
        App app = request.app();
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
        log.debug("{} opened from {} (protocol {})", s, ctx.channel().remoteAddress(), request.protocol());
    }

    /** Complete-the-upgrade-then-close (reference §1.1): error event with the code, then a close frame. */
    private void reject(ChannelHandlerContext ctx, int code, String message) {
        rejected = true;
        ctx.write(Frames.text(ctx.alloc(), Messages.error(message, code)), ctx.voidPromise());
        ctx.writeAndFlush(Frames.close(code, message));
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
            s.meters().messageIn(text.content().readableBytes());
            server.dispatcher().message(conn, ByteBufUtil.getBytes(text.content()));
        } else if (frame instanceof PingWebSocketFrame ping) {
            if (server.dispatcher().frame(conn)) { // pings count against the message limit too
                s.pong(ping.content().retain());
            }
        } else if (frame instanceof BinaryWebSocketFrame && server.dispatcher().frame(conn)) {
            s.send(Messages.error("Binary frames are not supported: send JSON text frames", null));
        }
        // pong frames only count as activity
    }

    /** Stop reading from a client that does not read what it is sent; read again once it has caught up. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
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
