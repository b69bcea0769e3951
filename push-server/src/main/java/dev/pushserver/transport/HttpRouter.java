package dev.pushserver.transport;

import dev.pushserver.api.ApiError;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;

/**
 * First stage after HTTP decoding: WebSocket upgrades go to the Pusher protocol, {@code /apps/...} to the HTTP API,
 * {@code /} and {@code /health} answer load balancers, anything else is a JSON 404.
 */
final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final byte[] HEALTH = "{\"ok\":true}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final ServerContext server;
    private final boolean webSockets;
    private final boolean api;
    /** set while the HTTP codec is being replaced by the WebSocket codec */
    private boolean upgrading;
    private ByteBuf early;

    HttpRouter(ServerContext server, boolean webSockets, boolean api) {
        this.server = server;
        this.webSockets = webSockets;
        this.api = api;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            HttpResponses.send(ctx, HttpResponses.json(HttpResponseStatus.BAD_REQUEST,
                    ApiError.body("Malformed HTTP request")), false);
            return;
        }
        if (webSockets && isUpgrade(req)) {
            upgrade(ctx, req);
            return;
        }
        String path;
        try {
            path = new QueryStringDecoder(req.uri()).path();
        } catch (IllegalArgumentException e) {
            HttpResponses.send(ctx, HttpResponses.json(HttpResponseStatus.BAD_REQUEST,
                    ApiError.body("Malformed URL: " + e.getMessage())), keepAlive);
            return;
        }
        if (api && path.contains("/apps/")) {
            HttpResponses.send(ctx, server.api().handle(req), keepAlive);
            return;
        }
        if (path.equals("/") || path.equals("/health") || path.equals("/up")) {
            if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
                HttpResponses.send(ctx, HttpResponses.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
                        ApiError.body("Only GET is allowed on " + path)), keepAlive);
                return;
            }
            HttpResponseStatus status = server.isStopping() ? HttpResponseStatus.SERVICE_UNAVAILABLE
                    : HttpResponseStatus.OK;
            HttpResponses.send(ctx, HttpResponses.json(status, server.isStopping()
                    ? ApiError.body("Server is shutting down") : HEALTH), keepAlive);
            return;
        }
        HttpResponses.send(ctx, HttpResponses.json(HttpResponseStatus.NOT_FOUND,
                ApiError.body("Not found: " + path)), keepAlive);
    }

    private static boolean isUpgrade(FullHttpRequest req) {
        return req.method() == HttpMethod.GET
                && req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req) {
        ConnectionRequest request = ConnectionRequest.of(req.uri(), server.apps());
        int maxFrame = server.config().maxFrameSize();
        WebSocketDecoderConfig decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxFrame)
                .allowExtensions(false)
                .closeOnProtocolViolation(false) // we send the Pusher error and close ourselves
                .build();
        String url = "ws://" + req.headers().get(HttpHeaderNames.HOST, "localhost") + req.uri();
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(url, null, decoderConfig)
                .newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        PusherWebSocketHandler handler = new PusherWebSocketHandler(server, request);
        ChannelPipeline p = ctx.pipeline();
        upgrading = true;
        handshaker.handshake(ctx.channel(), req).addListener(f -> {
            if (!f.isSuccess()) {
                upgrading = false;
                if (early != null) {
                    early.release();
                    early = null;
                }
                ctx.close();
                return;
            }
            // text frames must be valid UTF-8 (RFC 6455: close 1007); Netty only adds this in its protocol handler
            p.addLast("ws-utf8", new Utf8FrameValidator(false));
            p.addLast("ws-aggregator", new WebSocketFrameAggregator(maxFrame));
            p.addLast("pusher", handler);
            p.remove(this);
            handler.admit(p.context(handler));
            replayEarlyFrames(p);
        });
    }

    /**
     * Bytes a client sent right behind its upgrade request (before reading the 101) reach this handler as raw
     * buffers while the HTTP codec is being replaced; they are kept and fed to the WebSocket decoder once the
     * Pusher handler is in place, instead of being dropped.
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (upgrading && msg instanceof ByteBuf bytes) {
            if (early == null) {
                early = ctx.alloc().buffer(bytes.readableBytes());
            }
            early.writeBytes(bytes);
            bytes.release();
            return;
        }
        super.channelRead(ctx, msg);
    }

    private void replayEarlyFrames(ChannelPipeline p) throws Exception {
        ByteBuf bytes = early;
        early = null;
        if (bytes == null) {
            return;
        }
        ChannelHandlerContext decoder = p.context(WebSocketFrameDecoder.class);
        if (decoder == null) {
            bytes.release();
            return;
        }
        ((ChannelInboundHandler) decoder.handler()).channelRead(decoder, bytes);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // early bytes are replayed right after this handler is removed; only a failed upgrade leaves them here
        if (early != null && !upgrading) {
            early.release();
            early = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
