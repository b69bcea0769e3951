package dev.pushserver.transport;

import dev.pushserver.app.App;
import dev.pushserver.channel.ChannelService;
import dev.pushserver.connection.Connection;
import dev.pushserver.protocol.ClientMessage;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pusher protocol on one upgraded WebSocket: admits or rejects the connection, decodes frames and dispatches
 * them to the channel rules, and cleans up when the connection goes away.
 */
final class PusherWebSocketHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    private static final Logger log = LoggerFactory.getLogger(PusherWebSocketHandler.class);

    private final ServerContext server;
    private final ConnectionRequest request;
    private Connection conn;
    private boolean rejected;

    PusherWebSocketHandler(ServerContext server, ConnectionRequest request) {
        this.server = server;
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
        App app = request.app();
        if (!app.tryReserveConnection()) {
            reject(ctx, ErrorCodes.OVER_CAPACITY, "Application is over its connection quota of "
                    + app.config().maxConnections());
            return;
        }
        int loopIndex = server.loops().indexOf(ctx.channel().eventLoop());
        Connection c;
        do {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            String socketId = r.nextLong(1, 10_000_000_000L) + "." + r.nextLong(1, 10_000_000_000L);
            c = new Connection(ctx.channel(), app, socketId, loopIndex);
        } while (!app.register(c));
        conn = c;
        server.liveness().add(c);
        c.send(Messages.connectionEstablished(c.socketId(), server.config().activityTimeoutSeconds()));
        if (app.config().requireAuthorization()) {
            int timeout = app.config().authorizationTimeout();
            Connection admitted = c;
            ctx.executor().schedule(() -> {
                if (admitted.channel().isActive() && !admitted.isAuthorized()) {
                    admitted.close(ErrorCodes.UNAUTHORIZED, "Connection not authorized within " + timeout
                            + " seconds: sign in or subscribe to a private or presence channel");
                }
            }, timeout, TimeUnit.SECONDS);
        }
        log.debug("{} opened from {} (protocol {})", c, ctx.channel().remoteAddress(), request.protocol());
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
        if (frame instanceof CloseWebSocketFrame close) {
            if (conn != null) {
                conn.onCloseFrame(close);
            } else {
                ctx.close();
            }
            return;
        }
        if (conn == null || conn.isClosing()) {
            return;
        }
        conn.markActive(System.nanoTime());
        if (frame instanceof TextWebSocketFrame text) {
            onText(text.content());
        } else if (frame instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()), ctx.voidPromise());
        } else if (frame instanceof BinaryWebSocketFrame) {
            conn.send(Messages.error("Binary frames are not supported: send JSON text frames", null));
        }
        // pong frames only count as activity
    }

    private void onText(ByteBuf content) {
        ClientMessage msg = ClientMessage.parse(ByteBufUtil.getBytes(content));
        try {
            dispatch(msg);
        } catch (RuntimeException e) {
            // a bug must not take the connection down with it
            log.error("{}: failed to handle {}: {}", conn, msg.event(), e.toString(), e);
            conn.send(Messages.error("Internal server error while handling " + msg.event(), null));
        }
    }

    private void dispatch(ClientMessage msg) {
        if (msg.problem() != null) {
            conn.send(Messages.error(msg.problem(), null));
            return;
        }
        String event = msg.event();
        ChannelService channels = server.channels();
        switch (event) {
            case "pusher:ping" -> conn.send(Messages.pong());
            case "pusher:pong" -> { }
            case "pusher:subscribe" -> channels.subscribe(conn, msg);
            case "pusher:unsubscribe" -> channels.unsubscribe(conn, msg);
            case "pusher:signin" -> server.users().signin(conn, msg);
            default -> {
                if (event.startsWith("client-")) {
                    channels.clientEvent(conn, msg);
                } else if (event.startsWith("pusher:") || event.startsWith("pusher_internal:")) {
                    conn.send(Messages.error("Unsupported event " + event, null));
                } else {
                    conn.send(Messages.error("Client events must be prefixed by 'client-': " + event, null));
                }
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        Connection c = conn;
        if (c != null) {
            conn = null;
            server.liveness().remove(c);
            try {
                server.channels().disconnected(c);
                server.users().disconnected(c);
            } finally {
                c.app().unregister(c);
                c.app().releaseConnection();
                server.connectionClosed();
            }
            log.debug("{} closed", c);
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
            log.warn("closing {} after unexpected error: {}", conn != null ? conn : ctx.channel(), cause.toString());
            ctx.close();
        }
    }

    /** The decoder cannot continue after a bad frame: tell the client why and close with the WebSocket code. */
    private void closeOnBadFrame(ChannelHandlerContext ctx, int code, String reason) {
        String message = reason == null ? "Invalid WebSocket frame" : reason;
        if (conn != null) {
            conn.close(code, message);
        } else if (!rejected) {
            reject(ctx, code, message);
        } else {
            ctx.close();
        }
    }
}
