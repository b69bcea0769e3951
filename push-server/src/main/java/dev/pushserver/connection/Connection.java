package dev.pushserver.connection;

import dev.pushserver.app.App;
import dev.pushserver.channel.Subscription;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.Messages;
import dev.pushserver.transport.Frames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client WebSocket connection. All mutable state is confined to the connection's event loop; other threads
 * reach it by submitting tasks to {@link #loop()}.
 */
public final class Connection {

    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    private static final LongAdder SLOW_CONSUMER_CLOSES = new LongAdder();

    /** How long we wait for the client's close frame before dropping the TCP connection. */
    private static final long CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;

    private final Channel channel;
    private final App app;
    private final String socketId;
    private final int loopIndex;

    /** first pipeline stage: fan-out writes pre-encoded frames here, skipping the WebSocket encoder */
    private final ChannelHandlerContext out;
    private final Map<String, Subscription> subscriptions = new HashMap<>();
    private boolean flushPending;
    /** presence user ids this connection is a member as, with the number of channels using each */
    private Map<String, Integer> presenceUsers; // created on first presence subscription

    /** set by pusher:signin */
    private String userId;
    private String userInfoJson;
    private List<String> watchlist = List.of();
    /** signed in or subscribed to a private/presence channel (authorized connections) */
    private boolean authorized;

    private long lastActivityNanos;
    private long pingSentNanos;
    private boolean closing;
    private long rateWindowStart;
    private int rateWindowCount;

    public Connection(Channel channel, App app, String socketId, int loopIndex) {
        this.channel = channel;
        this.app = app;
        this.socketId = socketId;
        this.loopIndex = loopIndex;
        this.lastActivityNanos = System.nanoTime();
        this.out = channel.pipeline().firstContext();
    }

    /** Connections closed so far because they did not read fast enough (all apps, this process). */
    public static long slowConsumerCloses() {
        return SLOW_CONSUMER_CLOSES.sum();
    }

    public Channel channel() {
        return channel;
    }

    public EventLoop loop() {
        return channel.eventLoop();
    }

    public App app() {
        return app;
    }

    public String socketId() {
        return socketId;
    }

    public int loopIndex() {
        return loopIndex;
    }

    public Map<String, Subscription> subscriptions() {
        return subscriptions;
    }

    public boolean isClosing() {
        return closing;
    }

    // ---- liveness -------------------------------------------------------------------------------------------

    public void markActive(long now) {
        lastActivityNanos = now;
        pingSentNanos = 0;
    }

    public long lastActivityNanos() {
        return lastActivityNanos;
    }

    public long pingSentNanos() {
        return pingSentNanos;
    }

    public void markPingSent(long now) {
        pingSentNanos = now;
    }

    // ---- client event rate limit -----------------------------------------------------------------------------

    /** Fixed one-second window; returns false when this event is over the app's per-connection limit. */
    public boolean tryClientEvent(long nowNanos, int perSecond) {
        if (nowNanos - rateWindowStart >= 1_000_000_000L) {
            rateWindowStart = nowNanos;
            rateWindowCount = 0;
        }
        return ++rateWindowCount <= perSecond;
    }

    // ---- presence identities (for terminate_connections) -----------------------------------------------------

    /** Returns true when this is the connection's first presence membership as {@code userId}. */
    public boolean addPresenceUser(String userId) {
        if (presenceUsers == null) {
            presenceUsers = new HashMap<>(2);
        }
        return presenceUsers.merge(userId, 1, Integer::sum) == 1;
    }

    /** Returns true when the connection no longer is a presence member as {@code userId}. */
    public boolean removePresenceUser(String userId) {
        if (presenceUsers == null) {
            return true;
        }
        Integer left = presenceUsers.computeIfPresent(userId, (k, v) -> v == 1 ? null : v - 1);
        return left == null;
    }

    /** Signed in as {@code userId}, or a presence member as {@code userId} (terminate_connections). */
    public boolean isUser(String userId) {
        return userId.equals(this.userId) || (presenceUsers != null && presenceUsers.containsKey(userId));
    }

    // ---- user authentication -------------------------------------------------------------------------------

    /** The signed-in user id, or null. */
    public String userId() {
        return userId;
    }

    /** The signed-in user's user_info JSON, or null. */
    public String userInfoJson() {
        return userInfoJson;
    }

    public List<String> watchlist() {
        return watchlist;
    }

    public void signIn(String userId, String userInfoJson, List<String> watchlist) {
        this.userId = userId;
        this.userInfoJson = userInfoJson;
        this.watchlist = watchlist;
        this.authorized = true;
    }

    public boolean isAuthorized() {
        return authorized;
    }

    public void markAuthorized() {
        authorized = true;
    }

    // ---- output ---------------------------------------------------------------------------------------------

    public void send(byte[] json) {
        if (!closing) {
            channel.writeAndFlush(Frames.text(channel.alloc(), json), channel.voidPromise());
        }
    }

    /** Writes a shared pre-encoded frame without flushing; returns false if nothing was written. */
    public boolean write(ByteBuf frame) {
        if (closing) {
            return false;
        }
        out.write(frame.retainedDuplicate(), out.voidPromise());
        return true;
    }

    /** For the loop flusher: true if the connection was not yet marked. */
    public boolean markFlushPending() {
        if (flushPending) {
            return false;
        }
        flushPending = true;
        return true;
    }

    /**
     * Flushes, then applies the slow-consumer policy: if the socket did not take the data and more than
     * max_outbound_buffer (the write-buffer high-water mark) is still waiting in the server, the client does not
     * read as fast as its messages arrive, and it is closed with 4100 (it reconnects after a back-off and
     * resubscribes) rather than the server buffering without bound. Checked after the flush, so a burst written
     * in one loop turn to a client that keeps up is not mistaken for a slow one.
     */
    public void flush() {
        flushPending = false;
        out.flush();
        if (!channel.isWritable() && !closing && channel.isActive()) {
            SLOW_CONSUMER_CLOSES.increment();
            log.debug("{}: closing slow consumer ({} bytes unsent)", this,
                    channel.unsafe().outboundBuffer() == null ? 0
                            : channel.unsafe().outboundBuffer().totalPendingWriteBytes());
            close(ErrorCodes.OVER_CAPACITY, "Connection too slow to receive its messages; reconnect");
        }
    }

    /**
     * Sends {@code pusher:error} with the code (so protocol 5 clients learn it too), then a close frame with the same
     * code, and drops the TCP connection once the client answers the close or after a short timeout.
     */
    public void close(int code, String reason) {
        if (closing) {
            return;
        }
        channel.write(Frames.text(channel.alloc(), Messages.error(reason, code)), channel.voidPromise());
        closing = true;
        channel.writeAndFlush(Frames.close(code, reason));
        channel.eventLoop().schedule(() -> {
            if (channel.isOpen()) {
                channel.close();
            }
        }, CLOSE_HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /** The client answered (or started) the close handshake. */
    public void onCloseFrame(CloseWebSocketFrame frame) {
        if (closing) {
            channel.close();
        } else {
            closing = true;
            channel.writeAndFlush(new CloseWebSocketFrame(1000, ""))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public String toString() {
        return "connection " + socketId + " (app " + app.id() + ")";
    }
}
