package dev.pushserver.transport;

import dev.pushserver.config.ServerConfig;
import dev.pushserver.session.Guarded;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines for a connection that has not earned trust yet: a new connection must send a complete request head
 * (HTTP request or WebSocket upgrade) within {@code http_header_timeout}, a body must arrive within
 * {@code http_body_timeout} of its head, and a keep-alive connection may stay idle between requests for
 * {@code http_idle_timeout}. Past a deadline the connection is closed. Removed once a WebSocket upgrade succeeds
 * (liveness takes over). A request only moves a deadline field; one sweep per event loop closes what is past its
 * deadline, so the HTTP path schedules no timer per request.
 */
final class HttpTimeouts extends ChannelDuplexHandler {

    private final Sweeper sweeper;
    private final long headNanos;
    private final long bodyNanos;
    private final long idleNanos;
    private ChannelHandlerContext ctx;
    /** when the connection is closed unless the client gets on; 0 while the answer is ours to give */
    private long deadline;
    /** requests whose head has arrived and whose answer has not been written yet */
    private int inFlight;

    HttpTimeouts(ServerConfig.NetworkLimits limits, Sweeper sweeper) {
        this.sweeper = sweeper;
        this.headNanos = TimeUnit.SECONDS.toNanos(limits.httpHeaderTimeoutSeconds());
        this.bodyNanos = TimeUnit.SECONDS.toNanos(limits.httpBodyTimeoutSeconds());
        this.idleNanos = TimeUnit.SECONDS.toNanos(limits.httpIdleTimeoutSeconds());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        waitFor(headNanos);
        sweeper.add(this);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest req) {
            inFlight++;
            busy();
            if (!(msg instanceof LastHttpContent) && RequestGate.hasBody(req)) {
                deadline = System.nanoTime() + bodyNanos;
            }
        } else if (msg instanceof LastHttpContent) {
            deadline = 0; // the request is complete: the answer is ours to give
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof FullHttpResponse r && r.status().code() >= HttpResponseStatus.OK.code()
                && inFlight > 0 && --inFlight == 0) {
            waitFor(idleNanos); // answered everything: the client may now idle, but not for ever
        }
        super.write(ctx, msg, promise);
    }

    /** Waiting for the client (a request head, or idle between requests): evictable when the server is full. */
    private void waitFor(long nanos) {
        long now = System.nanoTime();
        deadline = now + nanos;
        ConnectionGuard.Waiting w = ctx.channel().attr(ConnectionGuard.WAITING).get();
        if (w != null) {
            w.idleSince = now;
        }
    }

    private void busy() {
        deadline = 0;
        ConnectionGuard.Waiting w = ctx.channel().attr(ConnectionGuard.WAITING).get();
        if (w != null) {
            w.idleSince = 0;
        }
    }

    /** For the sweep: true when past its deadline. */
    private boolean expired(long now) {
        return deadline != 0 && now - deadline > 0;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        sweeper.remove(this);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        sweeper.remove(this);
        super.channelInactive(ctx);
    }

    /** One sweep per event loop over that loop's connections still under HTTP deadlines. Loop-confined sets. */
    static final class Sweeper {
        private final Loops loops;
        private final List<Set<HttpTimeouts>> perLoop = new ArrayList<>();
        private final List<ScheduledFuture<?>> sweeps = new ArrayList<>();

        Sweeper(Loops loops) {
            this.loops = loops;
            for (int i = 0; i < loops.size(); i++) {
                perLoop.add(new HashSet<>());
            }
        }

        void start() {
            for (int i = 0; i < loops.size(); i++) {
                int index = i;
                Runnable sweep = Guarded.task("HTTP deadline sweep", () -> sweep(index));
                sweeps.add(loops.get(i).scheduleAtFixedRate(sweep, 250, 250, TimeUnit.MILLISECONDS));
            }
        }

        void stop() {
            sweeps.forEach(f -> f.cancel(false));
        }

        private Set<HttpTimeouts> of(HttpTimeouts t) {
            return perLoop.get(loops.indexOf(t.ctx.channel().eventLoop()));
        }

        void add(HttpTimeouts t) {
            of(t).add(t);
        }

        void remove(HttpTimeouts t) {
            if (t.ctx != null) {
                of(t).remove(t);
            }
        }

        private void sweep(int loop) {
            long now = System.nanoTime();
            List<HttpTimeouts> late = null;
            for (HttpTimeouts t : perLoop.get(loop)) {
                if (t.expired(now)) {
                    if (late == null) {
                        late = new ArrayList<>();
                    }
                    late.add(t);
                }
            }
            if (late != null) {
                for (HttpTimeouts t : late) {
                    perLoop.get(loop).remove(t);
                    t.ctx.close();
                }
            }
        }
    }
}
