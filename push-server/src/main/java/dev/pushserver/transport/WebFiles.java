package dev.pushserver.transport;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The few static files the server serves itself ({@code push.js}, the demo page), read once from the classpath
 * ({@code /web/...}). Each has a strong ETag (a hash of its bytes), so that a browser revalidating with
 * If-None-Match gets a 304 without the body; Cache-Control lets it reuse the file for a short while first. A client
 * that accepts gzip gets the file compressed once at start-up (push.js shrinks to about a third).
 */
final class WebFiles {

    /** The seed's path for its browser client, kept so that pages written for it work unchanged. */
    static final String SEED_PUSH_JS = "/plugin/workbunny/webman-push-server/push.js";

    /** {@code gzipped} is the gzip encoding of {@code body}; its strong ETag is the body's plus {@code -gz}. */
    record File(byte[] body, byte[] gzipped, String contentType, String etag, String cacheControl) {

        static File of(byte[] body, String contentType, String cacheControl) {
            try {
                byte[] hash = MessageDigest.getInstance("SHA-256").digest(body);
                return new File(body, gzip(body), contentType, HexFormat.of().formatHex(hash, 0, 16), cacheControl);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        private static byte[] gzip(byte[] body) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
                z.write(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }

        FullHttpResponse respond(FullHttpRequest req) {
            if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
                FullHttpResponse r = HttpResponses.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
                        dev.pushserver.api.ApiError.body("Only GET is allowed"));
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                return r;
            }
            boolean gz = acceptsGzip(req.headers().get(HttpHeaderNames.ACCEPT_ENCODING));
            byte[] bytes = gz ? gzipped : body;
            String tag = "\"" + etag + (gz ? "-gz" : "") + "\"";
            boolean notModified = matches(req.headers().get(HttpHeaderNames.IF_NONE_MATCH));
            boolean head = req.method() == HttpMethod.HEAD;
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    notModified ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
                    notModified || head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
            r.headers().set(HttpHeaderNames.ETAG, tag);
            r.headers().set(HttpHeaderNames.CACHE_CONTROL, cacheControl);
            r.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
            r.headers().set("X-Content-Type-Options", "nosniff");
            if (!notModified) {
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
                if (gz) {
                    r.headers().set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
                }
                r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            } else {
                r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            }
            return r;
        }

        /** gzip listed without q=0 (identity is always acceptable, so it is the fallback). */
        private static boolean acceptsGzip(String acceptEncoding) {
            if (acceptEncoding == null) {
                return false;
            }
            for (String part : acceptEncoding.split(",")) {
                String[] p = part.trim().split(";");
                if (p[0].trim().equalsIgnoreCase("gzip")) {
                    return !(p.length > 1 && p[1].replace(" ", "").matches("q=0(\\.0*)?"));
                }
            }
            return false;
        }

        private boolean matches(String ifNoneMatch) {
            if (ifNoneMatch == null) {
                return false;
            }
            for (String tag : ifNoneMatch.split(",")) {
                String t = tag.trim();
                if (t.startsWith("W/")) {
                    t = t.substring(2);
                }
                if (t.equals("*") || t.equals("\"" + etag + "\"") || t.equals("\"" + etag + "-gz\"")) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Revalidated after 5 minutes: a new server version's client reaches browsers soon. */
    static final File PUSH_JS = File.of(resource("/web/push.js"), "application/javascript; charset=utf-8",
            "public, max-age=300");

    private WebFiles() {
    }

    /** The demo page, with the app key it connects with filled in. */
    static File demoPage(String appKey) {
        String html = new String(resource("/web/demo/index.html"), StandardCharsets.UTF_8)
                .replace("{{APP_KEY}}", appKey.replace("\\", "\\\\").replace("\"", "\\\"").replace("<", "\\u003c"));
        return File.of(html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8", "no-cache");
    }

    static byte[] resource(String name) {
        try (InputStream in = WebFiles.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
