package dev.pushserver.transport;

import dev.pushserver.api.ApiError;
import dev.pushserver.metrics.PushMetrics;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET /metrics}: the Prometheus text exposition, rendered on the metrics thread (never on the event loop),
 * behind {@code metrics_token} when it is set. Also registers the Netty allocator's memory gauges.
 */
final class MetricsRoute {

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private MetricsRoute() {
    }

    static CompletionStage<FullHttpResponse> respond(FullHttpRequest req, PushMetrics metrics) {
        if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
            return done(HttpResponses.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    ApiError.body("Only GET is allowed on /metrics")));
        }
        if (!metrics.authorized(req.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            FullHttpResponse r = HttpResponses.json(HttpResponseStatus.UNAUTHORIZED,
                    ApiError.body("/metrics wants Authorization: Bearer <metrics_token>"));
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"metrics\"");
            return done(r);
        }
        boolean head = req.method() == HttpMethod.HEAD;
        return metrics.scrape().handle((text, e) -> {
            if (e != null) {
                return HttpResponses.json(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                        ApiError.body("Cannot render the metrics: " + e));
            }
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            return r;
        });
    }

    private static CompletionStage<FullHttpResponse> done(FullHttpResponse r) {
        return java.util.concurrent.CompletableFuture.completedFuture(r);
    }

    /** Memory of the pooled allocator every connection uses (shared by the servers of one JVM). */
    static void nettyMemory(MeterRegistry registry, PooledByteBufAllocator allocator) {
        PooledByteBufAllocatorMetric m = allocator.metric();
        Gauge.builder("push.netty.memory.used", m, PooledByteBufAllocatorMetric::usedDirectMemory)
                .description("Memory used by Netty's pooled allocator").tag("area", "direct").baseUnit("bytes")
                .strongReference(true).register(registry);
        Gauge.builder("push.netty.memory.used", m, PooledByteBufAllocatorMetric::usedHeapMemory)
                .description("Memory used by Netty's pooled allocator").tag("area", "heap").baseUnit("bytes")
                .strongReference(true).register(registry);
        Gauge.builder("push.netty.arenas", m, PooledByteBufAllocatorMetric::numDirectArenas)
                .description("Arenas of Netty's pooled allocator").tag("area", "direct").strongReference(true)
                .register(registry);
        Gauge.builder("push.netty.arenas", m, PooledByteBufAllocatorMetric::numHeapArenas)
                .description("Arenas of Netty's pooled allocator").tag("area", "heap").strongReference(true)
                .register(registry);
    }
}
