package dev.pushserver.transport;

import dev.pushserver.api.ApiError;
import dev.pushserver.api.ApiHandler;
import dev.pushserver.api.ApiRequest;
import dev.pushserver.api.ApiResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;

/**
 * First stage after HTTP decoding: WebSocket upgrades go to the Pusher protocol, {@code /apps/...} to the HTTP API,
 * {@code /} and {@code /health} answer load balancers, {@code /push.js} is the browser client (with the demo on
 * also {@code /demo/} and {@code POST /subscribe/auth}), {@code /console...} is the debug console (see
 * {@link ConsoleRoutes}), anything else is a JSON 404.
 */
final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final byte[] HEALTH = "{\"ok\":true}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] READY = "{\"ready\":true}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final ServerContext server;
    private final Transport transport;
    private final boolean webSockets;
    private final boolean api;
    /** the metrics_port listener: /metrics and /health only */
    private final boolean metricsPort;
    private HttpResponder responder;
    /** set while the HTTP codec is being replaced by the WebSocket codec */
    private boolean upgrading;
    private ByteBuf early;
    private WebFiles.File demoPage;

    HttpRouter(ServerContext server, Transport transport, boolean webSockets, boolean api, boolean metricsPort) {
        this.metricsPort = metricsPort;
        this.server = server;
        this.transport = transport;
        this.webSockets = webSockets;
        this.api = api;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        responder = new HttpResponder(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            responder.respond(HttpResponses.json(HttpResponseStatus.BAD_REQUEST,
                    ApiError.body("Malformed HTTP request")), false);
            return;
        }
        boolean console = webSockets && ConsoleRoutes.isConsole(req.uri());
        if (webSockets && isUpgrade(req)
                && (!console || server.console() != null && ConsoleRoutes.isSocket(req.uri()))) {
            upgrade(ctx, req); // over its address's quota, it is told so after the upgrade (4100)
            return;
        }
        if (ConnectionGuard.overQuota(ctx.channel())) {
            FullHttpResponse tooMany = HttpResponses.json(HttpResponseStatus.TOO_MANY_REQUESTS,
                    ApiError.body("Too many connections from your address (max_connections_per_ip)"));
            tooMany.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
            responder.respond(tooMany, false);
            return;
        }
        if (console) {
            ConsoleRoutes.route(server.console(), req, responder, keepAlive);
            return;
        }
        String path;
        try {
            path = new QueryStringDecoder(req.uri()).path();
        } catch (IllegalArgumentException e) {
            responder.respond(HttpResponses.json(HttpResponseStatus.BAD_REQUEST,
                    ApiError.body("Malformed URL: " + e.getMessage())), keepAlive);
            return;
        }
        if (path.equals("/metrics") && transport.metrics().enabled()
                && metricsPort == server.config().ops().separateMetricsPort()) {
            responder.respond(MetricsRoute.respond(req, transport.metrics()), keepAlive);
            return;
        }
        if (metricsPort && !path.equals("/health")) {
            responder.respond(HttpResponses.json(HttpResponseStatus.NOT_FOUND, ApiError.body("Not found")), keepAlive);
            return;
        }
        if (api && path.startsWith("/admin/")) {
            ApiRequest request = new ApiRequest(req.method().name(), req.uri(), ByteBufUtil.getBytes(req.content()),
                    req.headers().get(HttpHeaderNames.AUTHORIZATION));
            responder.respond(server.admin().handle(request).thenApply(HttpRouter::toHttp), keepAlive);
            return;
        }
        if (api && path.contains("/apps/")) {
            ApiRequest request = new ApiRequest(req.method().name(), req.uri(), ByteBufUtil.getBytes(req.content()));
            long start = System.nanoTime();
            String apiPath = path;
            responder.respond(server.api().handle(request).thenApply(r -> {
                transport.metrics().apiRequest(apiPath, ApiHandler.route(apiPath), r.status(),
                        System.nanoTime() - start);
                return toHttp(r);
            }), keepAlive);
            return;
        }
        if (path.equals("/") || path.equals("/health") || path.equals("/up")) {
            if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
                responder.respond(HttpResponses.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
                        ApiError.body("Only GET is allowed on " + path)), keepAlive);
                return;
            }
            HttpResponseStatus status = server.isStopping() ? HttpResponseStatus.SERVICE_UNAVAILABLE
                    : HttpResponseStatus.OK;
            responder.respond(HttpResponses.json(status, server.isStopping()
                    ? ApiError.body("Server is shutting down") : HEALTH), keepAlive);
            return;
        }
        if (path.equals("/ready")) {
            if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
                responder.respond(HttpResponses.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
                        ApiError.body("Only GET is allowed on " + path)), keepAlive);
                return;
            }
            String problem = server.notReady();
            responder.respond(problem == null ? HttpResponses.json(HttpResponseStatus.OK, READY)
                    : HttpResponses.json(HttpResponseStatus.SERVICE_UNAVAILABLE, ApiError.body(problem)), keepAlive);
            return;
        }
        if (path.equals("/push.js") || path.equals(WebFiles.SEED_PUSH_JS)) {
            responder.respond(WebFiles.PUSH_JS.respond(req), keepAlive);
            return;
        }
        if (server.config().demo() && demoRoute(req, path, keepAlive)) {
            return;
        }
        // the path is not echoed: a client must not be able to make the server repeat its bytes
        responder.respond(HttpResponses.json(HttpResponseStatus.NOT_FOUND, ApiError.body("Not found")), keepAlive);
    }

    /** Only with the demo on (--demo): its page and the sample auth endpoint that signs for anyone. */
    private boolean demoRoute(FullHttpRequest req, String path, boolean keepAlive) {
        if (path.equals("/demo")) {
            FullHttpResponse moved = HttpResponses.json(HttpResponseStatus.MOVED_PERMANENTLY, ApiError.body("/demo/"));
            moved.headers().set(HttpHeaderNames.LOCATION, "/demo/");
            responder.respond(moved, keepAlive);
            return true;
        }
        if (path.equals("/demo/") || path.equals("/demo/index.html")) {
            if (demoPage == null) {
                demoPage = WebFiles.demoPage(server.config().apps().get(0).key());
            }
            responder.respond(demoPage.respond(req), keepAlive);
            return true;
        }
        if (path.equals("/subscribe/auth")) {
            responder.respond(DemoAuth.handle(req, server.config().apps().get(0)), keepAlive);
            return true;
        }
        return false;
    }

    private static FullHttpResponse toHttp(ApiResponse r) {
        FullHttpResponse http = HttpResponses.json(HttpResponseStatus.valueOf(r.status()), r.body());
        r.headers().forEach(http.headers()::set);
        return http;
    }

    private static boolean isUpgrade(FullHttpRequest req) {
        return req.method() == HttpMethod.GET
                && req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    /**
     * Switches this connection to WebSocket in one go, on the loop: the HTTP stages leave (bytes the client sent
     * behind its request come back to {@link #channelRead} and wait in {@code early}), Netty's frame decoder and
     * the connection's handler take their place (the console also gets Netty's encoder, validator and
     * aggregator), the 101 is written unflushed so that it leaves in one send with the first Pusher frame, and the
     * early bytes are replayed through the decoder.
     */
    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!WebSocketUpgrade.supportedVersion(req)) {
            FullHttpResponse old = HttpResponses.json(HttpResponseStatus.UPGRADE_REQUIRED,
                    ApiError.body("Only WebSocket version 13 (RFC 6455) is supported"));
            old.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, WebSocketUpgrade.VERSION);
            responder.respond(old, false);
            return;
        }
        String problem = WebSocketUpgrade.problem(req);
        if (problem != null) {
            responder.respond(HttpResponses.json(HttpResponseStatus.BAD_REQUEST, ApiError.body(problem)), false);
            return;
        }
        int maxFrame = server.config().maxFrameSize();
        boolean console = ConsoleRoutes.isConsole(req.uri());
        ChannelHandler handler = console ? new ConsoleSocket(server.console())
                : new PusherWebSocketHandler(server, transport, ConnectionRequest.of(req.uri(),
                        req.headers().get(HttpHeaderNames.ORIGIN), server.apps()), maxFrame);
        ByteBuf switching = WebSocketUpgrade.response(ctx.alloc(), req);
        ChannelPipeline p = ctx.pipeline();
        upgrading = true;
        p.remove(HttpServerCodec.class);
        // trust begins: no more HTTP deadlines or body gate (liveness watches the WebSocket)
        removeIfPresent(p, HttpTimeouts.class);
        removeIfPresent(p, RequestGate.class);
        removeIfPresent(p, JsonBodyAggregator.class);
        transport.guard().trusted(ctx.channel());
        p.addBefore(ctx.name(), "ws-decoder", new WebSocket13FrameDecoder(transport.decoderConfig()));
        if (console) { // the Pusher handler writes pre-encoded frames, checks UTF-8 and joins fragments itself
            p.addBefore(ctx.name(), "ws-encoder", new WebSocket13FrameEncoder(false));
            p.addBefore(ctx.name(), "ws-utf8", new Utf8FrameValidator(false));
            p.addBefore(ctx.name(), "ws-aggregator", new WebSocketFrameAggregator(maxFrame));
        }
        p.addBefore(ctx.name(), console ? "console" : "pusher", handler);
        ChannelHandlerContext next = p.context(handler);
        next.write(switching, next.voidPromise());
        p.remove(this);
        if (handler instanceof ConsoleSocket socket) {
            socket.admit(next); // not a Pusher connection: no socket id, no app quota
        } else {
            ((PusherWebSocketHandler) handler).admit(next);
        }
        next.flush(); // the 101, with connection_established when admit wrote it
        upgrading = false;
        replayEarlyFrames(p);
    }

    /**
     * An early answer (see {@link EarlyAnswer}) is sent in its turn. Bytes a client sent right behind its upgrade
     * request (before reading the 101) reach this handler as raw buffers while the HTTP codec is being replaced; they
     * are kept and fed to the WebSocket decoder once the Pusher handler is in place, instead of being dropped.
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof EarlyAnswer early) {
            responder.respond(early.response(), early.keepAlive());
            return;
        }
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

    /**
     * Feeds the early bytes through the pipeline from its head, as if just read: the WebSocket decoder is now the
     * first inbound stage, and a bad frame among them reaches exceptionCaught and closes the connection.
     */
    private void replayEarlyFrames(ChannelPipeline p) {
        ByteBuf bytes = early;
        early = null;
        if (bytes != null) {
            ChannelHandlerContext tls = p.context(Tls.HANDLER); // the bytes are decrypted already
            if (tls != null) {
                tls.fireChannelRead(bytes);
            } else {
                p.fireChannelRead(bytes);
            }
        }
    }

    private static void removeIfPresent(ChannelPipeline p, Class<? extends ChannelHandler> type) {
        if (p.get(type) != null) {
            p.remove(type);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        responder.writabilityChanged();
        super.channelWritabilityChanged(ctx);
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
