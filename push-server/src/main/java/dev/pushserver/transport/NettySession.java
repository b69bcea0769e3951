package dev.pushserver.transport;

import dev.pushserver.app.App;
import dev.pushserver.metrics.AppMeters;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Messages;
import dev.pushserver.session.Frame;
import dev.pushserver.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket connection as the core sees it. All mutable state is confined to the channel's event loop; calls from
 * other threads are handed to it.
 */
final class NettySession implements Session, LoopFlusher.Target {

    private static final Logger log = LoggerFactory.getLogger(NettySession.class);

    /** How long we wait for the client's close frame before dropping the TCP connection. */
    private static final long CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;

    private final Channel channel;
    /** first pipeline stage after TLS: fan-out writes pre-encoded frames here, skipping the WebSocket encoder */
    private final ChannelHandlerContext out;
    private final App app;
    private final String socketId;
    private final int loopIndex;
    private final LoopFlusher flusher;
    private final AppMeters meters;

    private boolean flushPending;
    /** index in the loop's liveness list, -1 when not in it (loop-confined) */
    int livenessSlot = -1;
    private long lastActivityNanos;
    private long pingSentNanos;
    /** written on the loop; volatile so that {@link #isOpen()} can be asked from anywhere */
    private volatile boolean closing;
    /** the close code the server sent, or the client sent first; 1006 while neither happened (for the metrics) */
    private int closeCode = 1006;

    NettySession(Channel channel, App app, String socketId, int loopIndex, LoopFlusher flusher,
            AppMeters meters) {
        this.channel = channel;
        this.out = Tls.wireContext(channel.pipeline());
        this.app = app;
        this.socketId = socketId;
        this.loopIndex = loopIndex;
        this.flusher = flusher;
        this.meters = meters;
        this.lastActivityNanos = System.nanoTime();
    }

    Channel channel() {
        return channel;
    }

    AppMeters meters() {
        return meters;
    }

    int closeCode() {
        return closeCode;
    }

    @Override
    public String socketId() {
        return socketId;
    }

    @Override
    public App app() {
        return app;
    }

    @Override
    public int loop() {
        return loopIndex;
    }

    @Override
    public ScheduledExecutorService executor() {
        return channel.eventLoop();
    }

    private boolean inLoop() {
        return channel.eventLoop().inEventLoop();
    }

    @Override
    public boolean isOpen() {
        return !closing;
    }

    boolean isClosing() {
        return closing;
    }

    // ---- liveness -------------------------------------------------------------------------------------------

    void markActive(long now) {
        lastActivityNanos = now;
        pingSentNanos = 0;
    }

    long lastActivityNanos() {
        return lastActivityNanos;
    }

    long pingSentNanos() {
        return pingSentNanos;
    }

    void markPingSent(long now) {
        pingSentNanos = now;
    }

    // ---- output ---------------------------------------------------------------------------------------------

    @Override
    public void send(byte[] message) {
        if (inLoop()) {
            sendNow(message);
        } else {
            channel.eventLoop().execute(() -> sendNow(message));
        }
    }

    /**
     * Replies are flushed like fan-out, once at the end of the loop turn: the answers to everything a client sent
     * in one read (several subscribes, say) leave in one send. (The upgrade flushes the 101 and connection_established
     * together itself.)
     */
    private void sendNow(byte[] message) {
        if (!closing) {
            out.write(Frames.text(channel.alloc(), message), out.voidPromise());
            meters.messageOut(message.length);
            flushLater();
        }
    }

    /** Answers a WebSocket ping frame (takes ownership of {@code content}). On the loop. */
    void pong(ByteBuf content) {
        if (closing) {
            content.release();
            return;
        }
        out.write(Frames.pong(channel.alloc(), content), out.voidPromise());
        flushLater();
    }

    private void flushLater() {
        if (!flushPending) {
            flushPending = true;
            flusher.mark(this);
        }
    }

    /**
     * The outbound limit, applied after every write (replies, errors, pongs, fan-out): a client with more than
     * max_outbound_buffer (the write-buffer high-water mark) unsent does not read what it is sent, and is closed
     * with 4100 (it reconnects after a back-off) instead of the server buffering without bound.
     */
    private void closeIfOverLimit() {
        if (!channel.isWritable() && !closing && channel.isActive()) {
            meters.slowConsumerClosed();
            log.debug("{}: closing slow consumer ({} bytes unsent)", this,
                    channel.unsafe().outboundBuffer() == null ? 0
                            : channel.unsafe().outboundBuffer().totalPendingWriteBytes());
            closeNow(ErrorCodes.OVER_CAPACITY, "Connection too slow to receive its messages; reconnect");
        }
    }

    @Override
    public boolean deliver(Frame frame) {
        if (closing) {
            return false;
        }
        out.write(((NettyFrame) frame).buf().retainedDuplicate(), out.voidPromise());
        flushLater();
        return true;
    }

    /**
     * For the loop flusher. Flushes, then applies the slow-consumer policy: if the socket did not take the data and
     * more than max_outbound_buffer (the write-buffer high-water mark) is still waiting in the server, the client
     * does not read as fast as its messages arrive, and it is closed with 4100 (it reconnects after a back-off and
     * resubscribes) rather than the server buffering without bound. Checked after the flush, so a burst written in
     * one loop turn to a client that keeps up is not mistaken for a slow one.
     */
    @Override
    public void flush() {
        flushPending = false;
        out.flush();
        closeIfOverLimit();
    }

    @Override
    public void close(int code, String reason) {
        if (inLoop()) {
            closeNow(code, reason);
        } else {
            channel.eventLoop().execute(() -> closeNow(code, reason));
        }
    }

    private void closeNow(int code, String reason) {
        if (closing) {
            return;
        }
        channel.write(Frames.text(channel.alloc(), Messages.error(reason, code)), channel.voidPromise());
        closing = true;
        closeCode = code;
        channel.writeAndFlush(Frames.close(channel.alloc(), code, reason));
        channel.eventLoop().schedule(() -> {
            if (channel.isOpen()) {
                channel.close();
            }
        }, CLOSE_HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /** The client answered (or started) the close handshake. */
    void onCloseFrame(int code) {
        if (closing) {
            channel.close();
        } else {
            closing = true;
            closeCode = code;
            channel.writeAndFlush(Frames.close(channel.alloc(), 1000, "")).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public String toString() {
        return "connection " + socketId + " (app " + app.id() + ")";
    }
}
