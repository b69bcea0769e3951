package dev.pushserver.bench.ceiling;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The raw ceiling: the least a Netty server must do to fan a message out over WebSockets on this machine. It
 * accepts WebSocket connections on any path, sends a fake {@code pusher:connection_established}, acknowledges any
 * {@code pusher:subscribe} (so the generator runs unchanged) and ignores everything else. Any HTTP POST (e.g. the
 * Pusher trigger or batch_events body, unsigned and unchecked) encodes each event once into a complete WebSocket
 * frame and writes it to every connection, whatever channel it names; each event loop coalesces the frames that
 * arrived in one turn and flushes every connection once.
 */
@Command(name = "ceiling", mixinStandardHelpOptions = true,
        description = "Run the raw Netty fan-out ceiling server (see BENCHMARKS.md). Stops on SIGTERM/SIGINT or "
                + "after --max-seconds.")
public final class Ceiling implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] OK = "{}".getBytes(StandardCharsets.US_ASCII);

    @Option(names = "--host", description = "listen address (default ${DEFAULT-VALUE})")
    public String host = "127.0.0.1";

    @Option(names = "--port", description = "port (default ${DEFAULT-VALUE})")
    public int port = 6002;

    @Option(names = "--loops", description = "event loops (default: cores)")
    public int loops = Runtime.getRuntime().availableProcessors();

    @Option(names = "--max-seconds", description = "stop by itself after this many seconds, 0 = never "
            + "(default ${DEFAULT-VALUE})")
    public long maxSeconds = 0;

    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel listener;
    private final Map<EventLoop, LoopState> states = new IdentityHashMap<>();
    private final AtomicLong socketIds = new AtomicLong();

    /** Connections and pending frames of one loop; touched only by that loop. */
    private static final class LoopState {
        final List<Channel> channels = new ArrayList<>();
        final List<ByteBuf> pending = new ArrayList<>();
        boolean flushScheduled;
    }

    @Override
    public Integer call() throws Exception {
        start();
        System.out.println("ceiling listening on " + host + ":" + port() + " (" + (Epoll.isAvailable() ? "epoll"
                : "nio") + ", " + loops + " loops)");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        if (maxSeconds > 0) {
            stop.await(maxSeconds, java.util.concurrent.TimeUnit.SECONDS);
        } else {
            stop.await();
        }
        stop();
        return 0;
    }

    public void start() throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(loops, io);
        for (var e : workers) {
            states.put((EventLoop) e, new LoopState());
        }
        Class<? extends ServerChannel> cls = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        listener = new ServerBootstrap().group(boss, workers).channel(cls)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new HttpHandler());
                    }
                })
                .bind(host, port).sync().channel();
    }

    public int port() {
        return ((java.net.InetSocketAddress) listener.localAddress()).getPort();
    }

    public void stop() {
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    private final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws IOException {
            if (req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
                upgrade(ctx, req);
                return;
            }
            if (req.method() == HttpMethod.POST) {
                publish(req.content());
            }
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(OK));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json").setInt(HttpHeaderNames.CONTENT_LENGTH,
                    OK.length);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (keepAlive) {
                ctx.writeAndFlush(res, ctx.voidPromise());
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req) {
            WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory("ws://" + host + req.uri(), null,
                    false).newHandshaker(req);
            if (hs == null) {
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                return;
            }
            Channel ch = ctx.channel();
            hs.handshake(ch, req).addListener(f -> {
                if (!f.isSuccess()) {
                    ch.close();
                    return;
                }
                ch.pipeline().remove(HttpHandler.this);
                ch.pipeline().addLast(new WsHandler());
                long id = socketIds.incrementAndGet();
                String data = "{\\\"socket_id\\\":\\\"1." + id + "\\\",\\\"activity_timeout\\\":120}";
                ch.writeAndFlush(new TextWebSocketFrame("{\"event\":\"pusher:connection_established\",\"data\":\""
                        + data + "\"}"), ch.voidPromise());
                LoopState st = states.get(ch.eventLoop());
                st.channels.add(ch);
                ch.closeFuture().addListener(x -> st.channels.remove(ch));
            });
        }
    }

    private final class WsHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) throws IOException {
            if (frame instanceof TextWebSocketFrame text) {
                String s = text.text();
                if (s.contains("pusher:subscribe")) {
                    String channel = JSON.readTree(s).path("data").path("channel").asText("");
                    StringBuilder out = new StringBuilder(
                            "{\"event\":\"pusher_internal:subscription_succeeded\",\"channel\":");
                    out.append(JSON.writeValueAsString(channel)).append(",\"data\":\"{}\"}");
                    ctx.writeAndFlush(new TextWebSocketFrame(out.toString()), ctx.voidPromise());
                }
            } else if (frame instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()), ctx.voidPromise());
            } else if (frame instanceof CloseWebSocketFrame close) {
                ctx.writeAndFlush(close.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Encodes each event of a trigger / batch body once and hands the frame to every loop. */
    private void publish(ByteBuf body) throws IOException {
        JsonNode n = JSON.readTree(new io.netty.buffer.ByteBufInputStream(body.duplicate()));
        if (n == null) {
            return;
        }
        if (n.has("batch")) {
            for (JsonNode e : n.get("batch")) {
                publishEvent(e.path("name").asText(), e.path("channel").asText(), e.path("data").asText());
            }
            return;
        }
        String name = n.path("name").asText();
        String data = n.path("data").asText();
        if (n.has("channels")) {
            for (JsonNode c : n.get("channels")) {
                publishEvent(name, c.asText(), data);
            }
        } else {
            publishEvent(name, n.path("channel").asText(), data);
        }
    }

    private void publishEvent(String name, String channel, String data) throws IOException {
        ByteBuf frame = encode(PooledByteBufAllocator.DEFAULT, name, channel, data);
        try {
            for (Map.Entry<EventLoop, LoopState> e : states.entrySet()) {
                LoopState st = e.getValue();
                ByteBuf mine = frame.retainedDuplicate();
                e.getKey().execute(() -> enqueue(e.getKey(), st, mine));
            }
        } finally {
            frame.release();
        }
    }

    private static void enqueue(EventLoop loop, LoopState st, ByteBuf frame) {
        st.pending.add(frame);
        if (!st.flushScheduled) {
            st.flushScheduled = true;
            // runs after the tasks already queued in this turn: their frames go out in the same write
            loop.execute(() -> flush(st));
        }
    }

    private static void flush(LoopState st) {
        st.flushScheduled = false;
        List<ByteBuf> frames = new ArrayList<>(st.pending);
        st.pending.clear();
        try {
            for (int i = 0; i < st.channels.size(); i++) {
                Channel ch = st.channels.get(i);
                for (ByteBuf f : frames) {
                    ch.write(f.retainedDuplicate(), ch.voidPromise());
                }
                ch.flush();
            }
        } finally {
            frames.forEach(ByteBuf::release);
        }
    }

    /** A complete unmasked text frame holding {"event":name,"channel":channel,"data":data}. */
    static ByteBuf encode(ByteBufAllocator alloc, String name, String channel, String data) throws IOException {
        ByteBuf json = alloc.heapBuffer(data.length() + 64);
        try (OutputStream out = new ByteBufOutputStream(json);
                JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("event", name);
            g.writeStringField("channel", channel);
            g.writeStringField("data", data);
            g.writeEndObject();
        }
        int len = json.readableBytes();
        int header = len < 126 ? 2 : len <= 0xFFFF ? 4 : 10;
        ByteBuf frame = alloc.directBuffer(header + len);
        frame.writeByte(0x81);
        if (len < 126) {
            frame.writeByte(len);
        } else if (len <= 0xFFFF) {
            frame.writeByte(126);
            frame.writeShort(len);
        } else {
            frame.writeByte(127);
            frame.writeLong(len);
        }
        frame.writeBytes(json);
        json.release();
        return frame;
    }
}
