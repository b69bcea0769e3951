package dev.pushserver.transport;

import dev.pushserver.api.ApiError;
import dev.pushserver.api.ApiRequest;
import dev.pushserver.api.ApiResponse;
import dev.pushserver.console.Console;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The HTTP side of the debug console: {@code /console/} (the page, its script and style), {@code /console/api/...}
 * (JSON, behind the admin token) and {@code /console/ws} (the live feed, see {@link ConsoleSocket}). With the console
 * off, everything under {@code /console} is the same JSON 404 as any unknown path.
 */
final class ConsoleRoutes {

    static final String SOCKET = "/console/ws";

    private static final WebFiles.File PAGE = page("index.html", "text/html; charset=utf-8");
    private static final WebFiles.File SCRIPT = page("console.js", "application/javascript; charset=utf-8");
    private static final WebFiles.File STYLE = page("console.css", "text/css; charset=utf-8");
    /** the page runs only its own script and style and talks only to this server */
    private static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'";

    private ConsoleRoutes() {
    }

    private static WebFiles.File page(String name, String type) {
        return WebFiles.File.of(WebFiles.resource("/web/console/" + name), type, "no-cache");
    }

    static boolean isConsole(String uri) {
        return uri.equals("/console") || uri.startsWith("/console/") || uri.startsWith("/console?");
    }

    static boolean isSocket(String uri) {
        return uri.equals(SOCKET) || uri.startsWith(SOCKET + "?");
    }

    static void route(Console console, FullHttpRequest req, HttpResponder responder, boolean keepAlive) {
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        if (console == null) {
            responder.respond(HttpResponses.json(HttpResponseStatus.NOT_FOUND, ApiError.body("Not found")),
                    keepAlive);
            return;
        }
        if (path.startsWith("/console/api/")) {
            ApiRequest request = new ApiRequest(req.method().name(), uri, ByteBufUtil.getBytes(req.content()),
                    req.headers().get(HttpHeaderNames.AUTHORIZATION));
            responder.respond(console.handle(request).thenApply(ConsoleRoutes::toHttp), keepAlive);
            return;
        }
        WebFiles.File file = switch (path) {
            case "/console/", "/console/index.html" -> PAGE;
            case "/console/console.js" -> SCRIPT;
            case "/console/console.css" -> STYLE;
            default -> null;
        };
        if (path.equals("/console")) {
            FullHttpResponse moved = HttpResponses.json(HttpResponseStatus.MOVED_PERMANENTLY,
                    ApiError.body("/console/"));
            moved.headers().set(HttpHeaderNames.LOCATION, "/console/" + (q < 0 ? "" : uri.substring(q)));
            responder.respond(moved, keepAlive);
            return;
        }
        if (file == null) {
            // includes /console/ws without an upgrade
            responder.respond(HttpResponses.json(HttpResponseStatus.NOT_FOUND, ApiError.body("Not found")),
                    keepAlive);
            return;
        }
        FullHttpResponse r = file.respond(req);
        r.headers().set("Content-Security-Policy", POLICY);
        r.headers().set("Referrer-Policy", "no-referrer");
        r.headers().set("X-Frame-Options", "DENY");
        responder.respond(r, keepAlive);
    }

    private static FullHttpResponse toHttp(ApiResponse r) {
        FullHttpResponse http = HttpResponses.json(HttpResponseStatus.valueOf(r.status()), r.body());
        r.headers().forEach(http.headers()::set);
        http.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return http;
    }
}
