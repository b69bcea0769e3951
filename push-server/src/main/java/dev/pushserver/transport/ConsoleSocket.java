package dev.pushserver.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.app.App;
import dev.pushserver.console.Console;
import dev.pushserver.console.ConsoleJson;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.protocol.Json;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The debug console's live feed: a WebSocket at {@code /console/ws} that is not a Pusher connection (no socket id,
 * no app quota, not in the connection registry). A browser cannot set headers on a WebSocket, so the first text
 * message authenticates: {@code {"token":"<admin_token>","app":"<app id>"}}. Anything else, or nothing within
 * {@link #AUTH_TIMEOUT_SECONDS}, is closed with 1008 (policy violation) before a byte of data is sent.
 * <p>
 * Events reach it through {@link #offer} on the deciding thread: they are only put in a bounded queue (a full queue
 * drops the newest and counts them) and written on this channel's event loop while the socket is writable. A console
 * that reads slowly therefore holds at most {@link #QUEUE} events plus Netty's outbound high-water mark, and is told
 * how many it missed ({@code {"type":"dropped","count":N}}).
 */
final class ConsoleSocket extends SimpleChannelInboundHandler<WebSocketFrame> implements Console.Viewer {

    private static final Logger log = LoggerFactory.getLogger(ConsoleSocket.class);
    static final int AUTH_TIMEOUT_SECONDS = 10;
    static final int QUEUE = 1000;
    static final int POLICY_VIOLATION = 1008;
    /** A watching console is pinged this often and closed when nothing came back for three intervals. */
    static final int PING_SECONDS = 30;

    private final Console console;
    private final Queue<ChannelEvent> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> authTimeout;
    private Runnable unwatch;
    private boolean closing;
    private ScheduledFuture<?> pinger;
    private long lastHeardNanos;

    ConsoleSocket(Console console) {
        this.console = console;
    }

    /** Runs once the upgrade response has been written. */
    void admit(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ConnectionGuard.overQuota(ctx.channel())) {
            refuse("Too many connections from your address");
            return;
        }
        authTimeout = ctx.executor().schedule(() -> refuse("No console token within " + AUTH_TIMEOUT_SECONDS
                + " seconds"), AUTH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        lastHeardNanos = System.nanoTime();
        if (frame instanceof CloseWebSocketFrame) {
            if (closing) {
                ctx.close(); // the answer to our close frame: a second one from us would break the protocol
            } else {
                closing = true;
                ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(f -> ctx.close());
            }
            return;
        }
        if (frame instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            return;
        }
        if (!(frame instanceof TextWebSocketFrame) || unwatch != null || closing) {
            return; // once watching, the console has nothing more to say
        }
        authenticate(ByteBufUtil.getBytes(frame.content()));
    }

    private void authenticate(byte[] message) {
        JsonNode hello;
        try {
            hello = Json.parse(message);
        } catch (IOException e) {
            hello = null;
        }
        JsonNode token = hello == null ? null : hello.get("token");
        if (token == null || !token.isTextual() || !console.authorized(token.asText())) {
            refuse("Wrong or missing admin token");
            return;
        }
        JsonNode appId = hello.get("app");
        App app = console.app(appId != null && appId.isTextual() ? appId.asText() : null);
        if (app == null) {
            refuse("Unknown app id");
            return;
        }
        if (authTimeout != null) {
            authTimeout.cancel(false);
        }
        unwatch = console.watch(app, this);
        // a console whose browser vanished without a close must not stay a watcher: browsers answer pings
        lastHeardNanos = System.nanoTime();
        pinger = ctx.executor().scheduleAtFixedRate(this::ping, PING_SECONDS, PING_SECONDS, TimeUnit.SECONDS);
        String ready = "{\"type\":\"ready\",\"app\":" + Json.string(g -> g.writeString(app.id())) + ",\"max_data\":"
                + ConsoleJson.MAX_DATA + "}";
        ctx.writeAndFlush(new TextWebSocketFrame(ready));
        log.info("console opened from {} for app {}", ctx.channel().remoteAddress(), app.id());
    }

    private void refuse(String why) {
        if (closing) {
            return;
        }
        closing = true;
        log.info("console refused from {}: {}", ctx.channel().remoteAddress(), why);
        ctx.writeAndFlush(Frames.close(POLICY_VIOLATION, why));
        ctx.executor().schedule(() -> ctx.close(), 2, TimeUnit.SECONDS);
    }

    private void ping() {
        if (System.nanoTime() - lastHeardNanos > TimeUnit.SECONDS.toNanos(3L * PING_SECONDS)) {
            log.info("console from {} did not answer pings; closing it", ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new PingWebSocketFrame());
    }

    /** On the deciding thread, under its lock: enqueue, or count as dropped; never block. */
    @Override
    public void offer(ChannelEvent event) {
        if (!queue.offer(event)) {
            dropped.incrementAndGet();
        }
        if (scheduled.compareAndSet(false, true)) {
            ctx.executor().execute(this::drain);
        }
    }

    /** On the event loop: writes what the socket takes now; the rest waits for it to become writable again. */
    private void drain() {
        scheduled.set(false);
        if (!ctx.channel().isActive() || closing) {
            queue.clear();
            return;
        }
        boolean wrote = false;
        while (ctx.channel().isWritable()) {
            long missed = dropped.getAndSet(0);
            if (missed > 0) {
                ctx.write(new TextWebSocketFrame(ConsoleJson.dropped(missed)), ctx.voidPromise());
                wrote = true;
            }
            ChannelEvent e = queue.poll();
            if (e == null) {
                break;
            }
            byte[] line = ConsoleJson.line(e).getBytes(StandardCharsets.UTF_8);
            ctx.write(new TextWebSocketFrame(ctx.alloc().buffer(line.length).writeBytes(line)), ctx.voidPromise());
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && scheduled.compareAndSet(false, true)) {
            ctx.executor().execute(this::drain);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void stop() {
        if (authTimeout != null) {
            authTimeout.cancel(false);
        }
        if (pinger != null) {
            pinger.cancel(false);
        }
        if (unwatch != null) {
            unwatch.run();
            unwatch = null;
            log.info("console closed from {}", ctx.channel().remoteAddress());
        }
        queue.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("console socket {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
