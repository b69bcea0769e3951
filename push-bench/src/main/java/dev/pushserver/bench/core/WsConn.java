package dev.pushserver.bench.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One Pusher client connection, kept as small and cheap as possible: it writes a pre-built HTTP upgrade request,
 * then parses server WebSocket frames in place (no frame objects, no copies), recognises benchmark data with a byte
 * scan and hands everything else, which is rare, to Jackson. Outgoing frames are masked with the all-zero key so
 * the payload is written as is. All state is confined to the connection's event loop.
 */
public final class WsConn extends ByteToMessageDecoder {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_FRAME = 16 * 1024 * 1024;

    /** Callbacks from a connection's event loop. */
    public interface Listener {
        default void onEstablished(WsConn c) {
        }

        default void onSubscribed(WsConn c, String channel, JsonNode data, long now) {
        }

        /** Benchmark data: {@code f} = point, channel id, stream, seq, send nanos. */
        default void onData(WsConn c, long[] f, long now) {
        }

        /** Any other event (presence member events, pusher:error, client events without benchmark data). */
        default void onEvent(WsConn c, String event, String channel, JsonNode msg, long now) {
        }

        default void onClosed(WsConn c) {
        }

        default void onFailed(WsConn c, Throwable cause) {
        }
    }

    public final int id;
    private final Listener listener;
    private final byte[] upgradeRequest;
    private final long[] fields = new long[5];

    private Channel channel;
    private LoopStats stats;
    private boolean upgraded;
    private boolean closeSent;
    private ByteBuf fragments;

    public volatile String socketId;
    public volatile boolean established;
    public volatile boolean inactive;
    public volatile int closeCode = -1;
    public volatile String closeReason;
    public volatile String failure;
    public long startNanos;
    public long establishedNanos;
    public long readyNanos;
    public int pendingSubscriptions;
    /** ready or failed: counted once by the pool */
    public boolean settled;
    public int errors;
    /** deliberately not reading (slow-consumer) */
    public boolean slow;
    /** scenario-specific state */
    public Object attachment;

    // ---- sequence tracking: per subscribed channel slot and stream --------------------------------------------
    private int[] chanIds = new int[0];
    private int streams;
    private long[] maxSeq;
    private long[] window;
    private long[] unique;
    public long duplicates;
    public long reordered;
    public long gaps;

    public WsConn(int id, Listener listener, byte[] upgradeRequest) {
        this.id = id;
        this.listener = listener;
        this.upgradeRequest = upgradeRequest;
    }

    public static byte[] upgradeRequest(String host, int port, String path) {
        String req = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + host + ":" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "\r\n";
        return req.getBytes(StandardCharsets.US_ASCII);
    }

    public Channel channel() {
        return channel;
    }

    public LoopStats stats() {
        return stats;
    }

    public boolean isOpen() {
        return channel != null && channel.isActive() && !inactive;
    }

    // ---- tracking ----------------------------------------------------------------------------------------------

    /** Declares the channels (by benchmark id) this connection will receive data on, and the number of streams. */
    public void initTracking(int[] channelIds, int streamCount) {
        this.chanIds = channelIds;
        this.streams = streamCount;
        int n = channelIds.length * streamCount;
        maxSeq = new long[n];
        window = new long[n];
        unique = new long[n];
        resetTracking();
    }

    public void resetTracking() {
        if (maxSeq != null) {
            java.util.Arrays.fill(maxSeq, -1);
            java.util.Arrays.fill(window, 0);
            java.util.Arrays.fill(unique, 0);
        }
        duplicates = 0;
        reordered = 0;
        gaps = 0;
    }

    public int[] channelIds() {
        return chanIds;
    }

    /** Result of {@link #track}. */
    public static final int FOREIGN = -1;
    public static final int DUPLICATE = 0;
    public static final int NEW = 1;

    /**
     * Records one message; returns {@link #NEW} for a message not seen before, {@link #DUPLICATE} for one seen
     * already, {@link #FOREIGN} when the channel or stream is not one this connection tracks. Order and duplicates
     * are checked exactly within the last 64 sequence numbers of each (channel, stream); anything older counts as
     * reordered and new.
     */
    public int track(int chan, int stream, long seq) {
        int slot = -1;
        for (int i = 0; i < chanIds.length; i++) {
            if (chanIds[i] == chan) {
                slot = i;
                break;
            }
        }
        if (slot < 0 || stream < 0 || stream >= streams) {
            return FOREIGN;
        }
        int i = slot * streams + stream;
        long m = maxSeq[i];
        if (seq > m) {
            long shift = seq - m;
            window[i] = shift >= 64 ? 1L : (window[i] << shift) | 1L;
            if (shift > 1) {
                gaps++;
            }
            maxSeq[i] = seq;
            unique[i]++;
            return NEW;
        }
        long off = m - seq;
        if (off >= 64) {
            unique[i]++;
            reordered++;
            return NEW;
        }
        if (((window[i] >>> off) & 1L) != 0) {
            duplicates++;
            return DUPLICATE;
        }
        window[i] |= 1L << off;
        unique[i]++;
        reordered++;
        return NEW;
    }

    /** Unique messages received on (channel slot, stream). */
    public long unique(int slot, int stream) {
        return unique == null ? 0 : unique[slot * streams + stream];
    }

    public int streams() {
        return streams;
    }

    // ---- output --------------------------------------------------------------------------------------------------

    public void send(String json) {
        Channel ch = channel;
        if (ch == null || !ch.isActive() || closeSent) {
            return;
        }
        ch.writeAndFlush(textFrame(ch, json), ch.voidPromise());
    }

    /** Writes without flushing; the caller flushes (several client events per loop turn). */
    public void write(String json) {
        Channel ch = channel;
        if (ch == null || !ch.isActive() || closeSent) {
            return;
        }
        ch.write(textFrame(ch, json), ch.voidPromise());
    }

    public void flush() {
        Channel ch = channel;
        if (ch != null) {
            ch.flush();
        }
    }

    private static ByteBuf textFrame(Channel ch, String json) {
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        return frame(ch, 0x1, payload, payload.length);
    }

    private static ByteBuf frame(Channel ch, int opcode, byte[] payload, int len) {
        ByteBuf buf = ch.alloc().directBuffer(len + 14);
        buf.writeByte(0x80 | opcode);
        if (len < 126) {
            buf.writeByte(0x80 | len);
        } else if (len <= 0xFFFF) {
            buf.writeByte(0x80 | 126);
            buf.writeShort(len);
        } else {
            buf.writeByte(0x80 | 127);
            buf.writeLong(len);
        }
        buf.writeInt(0); // all-zero masking key: the payload goes out unchanged
        buf.writeBytes(payload, 0, len);
        return buf;
    }

    public void subscribe(String channelName, String auth, String channelData) {
        StringBuilder sb = new StringBuilder(96);
        sb.append("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":");
        quote(sb, channelName);
        if (auth != null) {
            sb.append(",\"auth\":");
            quote(sb, auth);
        }
        if (channelData != null) {
            sb.append(",\"channel_data\":");
            quote(sb, channelData);
        }
        sb.append("}}");
        send(sb.toString());
    }

    public void unsubscribe(String channelName) {
        StringBuilder sb = new StringBuilder(80);
        sb.append("{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":");
        quote(sb, channelName);
        sb.append("}}");
        send(sb.toString());
    }

    public static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }

    /** Starts the closing handshake with a normal close. */
    public void close() {
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        ch.eventLoop().execute(() -> {
            if (!ch.isActive()) {
                return;
            }
            if (!closeSent) {
                closeSent = true;
                byte[] p = {0x03, (byte) 0xE8};
                ch.writeAndFlush(frame(ch, 0x8, p, 2));
            }
            ch.eventLoop().schedule(() -> {
                ch.close();
            }, 1, java.util.concurrent.TimeUnit.SECONDS);
        });
    }

    public void setReading(boolean read) {
        Channel ch = channel;
        if (ch != null) {
            ch.config().setAutoRead(read);
        }
    }

    // ---- input ---------------------------------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.writeAndFlush(ctx.alloc().directBuffer(upgradeRequest.length).writeBytes(upgradeRequest),
                ctx.voidPromise());
        super.channelActive(ctx);
    }

    /** Set by whoever creates the connection once the channel is registered on its loop. */
    public void attach(LoopStats loopStats) {
        this.stats = loopStats;
        loopStats.conns.add(this);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (!upgraded) {
            int end = headerEnd(in);
            if (end < 0) {
                if (in.readableBytes() > 16384) {
                    fail(ctx, "no HTTP upgrade response in the first 16 KB");
                }
                return;
            }
            String head = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.ISO_8859_1);
            in.readerIndex(end + 4);
            if (!head.startsWith("HTTP/1.1 101")) {
                int eol = head.indexOf('\r');
                fail(ctx, "upgrade refused: " + (eol > 0 ? head.substring(0, eol) : head));
                return;
            }
            upgraded = true;
        }
        long now = System.nanoTime();
        while (true) {
            int r = in.readerIndex();
            int avail = in.readableBytes();
            if (avail < 2) {
                return;
            }
            int b0 = in.getUnsignedByte(r);
            int b1 = in.getUnsignedByte(r + 1);
            boolean fin = (b0 & 0x80) != 0;
            int op = b0 & 0x0F;
            long len = b1 & 0x7F;
            int hdr = 2;
            if (len == 126) {
                if (avail < 4) {
                    return;
                }
                len = in.getUnsignedShort(r + 2);
                hdr = 4;
            } else if (len == 127) {
                if (avail < 10) {
                    return;
                }
                len = in.getLong(r + 2);
                hdr = 10;
            }
            if ((b1 & 0x80) != 0) {
                fail(ctx, "server sent a masked frame");
                return;
            }
            if (len < 0 || len > MAX_FRAME) {
                fail(ctx, "frame too large: " + len);
                return;
            }
            if (avail < hdr + len) {
                return;
            }
            int ps = r + hdr;
            int pe = (int) (ps + len);
            onFrame(ctx, op, fin, in, ps, pe, now);
            in.readerIndex(pe);
            if (!ctx.channel().isActive() && inactive) {
                return;
            }
        }
    }

    private void onFrame(ChannelHandlerContext ctx, int op, boolean fin, ByteBuf in, int ps, int pe, long now) {
        switch (op) {
            case 0x1 -> {
                if (fin) {
                    onText(in, ps, pe, now);
                } else {
                    fragments = ctx.alloc().buffer();
                    fragments.writeBytes(in, ps, pe - ps);
                }
            }
            case 0x0 -> {
                if (fragments != null) {
                    fragments.writeBytes(in, ps, pe - ps);
                    if (fin) {
                        try {
                            onText(fragments, fragments.readerIndex(), fragments.writerIndex(), now);
                        } finally {
                            fragments.release();
                            fragments = null;
                        }
                    }
                }
            }
            case 0x8 -> {
                closeCode = pe - ps >= 2 ? in.getUnsignedShort(ps) : 1005;
                closeReason = pe - ps > 2 ? in.toString(ps + 2, pe - ps - 2, StandardCharsets.UTF_8) : "";
                if (!closeSent) {
                    closeSent = true;
                    byte[] p = {(byte) (closeCode >> 8), (byte) closeCode};
                    ctx.writeAndFlush(frame(ctx.channel(), 0x8, p, closeCode == 1005 ? 0 : 2))
                            .addListener(ChannelFutureListener.CLOSE);
                } else {
                    ctx.close();
                }
            }
            case 0x9 -> {
                byte[] p = ByteBufUtil.getBytes(in, ps, pe - ps);
                ctx.writeAndFlush(frame(ctx.channel(), 0xA, p, p.length), ctx.voidPromise());
            }
            default -> {
                // pong or binary: nothing to do
            }
        }
    }

    private void onText(ByteBuf in, int ps, int pe, long now) {
        LoopStats s = stats;
        if (s != null) {
            s.bytes += pe - ps;
        }
        if (Payload.parse(in, ps, pe, fields)) {
            listener.onData(this, fields, now);
            return;
        }
        if (s != null) {
            s.control++;
        }
        JsonNode msg;
        try {
            msg = JSON.readTree(ByteBufUtil.getBytes(in, ps, pe - ps));
        } catch (IOException e) {
            errors++;
            return;
        }
        String event = msg.path("event").asText("");
        String channelName = msg.hasNonNull("channel") ? msg.get("channel").asText() : null;
        switch (event) {
            case "pusher:connection_established" -> {
                JsonNode data = dataOf(msg);
                socketId = data.path("socket_id").asText(null);
                establishedNanos = now;
                established = true;
                listener.onEstablished(this);
            }
            case "pusher_internal:subscription_succeeded" -> listener.onSubscribed(this, channelName, dataOf(msg), now);
            case "pusher:error" -> {
                errors++;
                listener.onEvent(this, event, channelName, msg, now);
            }
            default -> listener.onEvent(this, event, channelName, msg, now);
        }
    }

    private static int headerEnd(ByteBuf in) {
        int to = in.writerIndex() - 3;
        for (int i = in.readerIndex(); i < to; i++) {
            if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n' && in.getByte(i + 2) == '\r'
                    && in.getByte(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** {@code data} as an object, whether it was sent as an object or as a JSON-encoded string. */
    public static JsonNode dataOf(JsonNode msg) {
        JsonNode d = msg.path("data");
        if (d.isTextual()) {
            try {
                return JSON.readTree(d.asText());
            } catch (IOException e) {
                return d;
            }
        }
        return d;
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        failure = why;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        inactive = true;
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
        listener.onClosed(this);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (failure == null) {
            failure = cause.toString();
        }
        ctx.close();
    }
}
