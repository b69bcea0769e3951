package dev.pushserver.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal WebSocket client written on a plain {@link Socket}, for what the JDK client cannot do: send any request
 * target (e.g. broken percent escapes), send arbitrary (invalid) frames, and <em>never</em> answer ping frames or the
 * server's close frame. Frames from the server are read on a background thread.
 */
public final class FrameSocket implements AutoCloseable {

    public static final int OP_CONT = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9,
            OP_PONG = 0xA;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String statusLine;
    private final BlockingQueue<String> texts = new java.util.concurrent.LinkedBlockingQueue<>();
    private final AtomicInteger pings = new AtomicInteger();
    private final AtomicInteger pongs = new AtomicInteger();
    /** every text message and close frame in arrival order: "text:<message>" / "close:<code>" */
    private final java.util.List<String> transcript = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** close code from the server's close frame; 1005 when it had none; -1 when the TCP connection just ended */
    private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final CompletableFuture<Void> eof = new CompletableFuture<>();
    private volatile String closeReason;
    private volatile boolean answerPings;
    private volatile boolean answerClose;

    private FrameSocket(Socket socket, String statusLine, InputStream in) throws IOException {
        this.socket = socket;
        this.in = in;
        this.out = socket.getOutputStream();
        this.statusLine = statusLine;
    }

    /** Connects and upgrades; neither pings nor the server's close frame are answered. */
    public static FrameSocket open(int port, String requestTarget) throws IOException {
        return open(port, requestTarget, false, false);
    }

    public static FrameSocket open(int port, String requestTarget, boolean answerPings, boolean answerClose)
            throws IOException {
        return open(port, requestTarget, answerPings, answerClose, 0, true);
    }

    /**
     * Connects and upgrades with a {@code receiveBuffer}-byte socket receive buffer and reads nothing more until
     * {@link #resume}: a client that reads slowly (frames can still be sent).
     */
    public static FrameSocket openPaused(int port, String requestTarget, int receiveBuffer) throws IOException {
        return open(port, requestTarget, false, false, receiveBuffer, false);
    }

    /** Starts reading frames (after {@link #openPaused}). */
    public void resume() {
        Thread t = new Thread(this::readLoop, "frame-socket-reader");
        t.setDaemon(true);
        t.start();
    }

    private static FrameSocket open(int port, String requestTarget, boolean answerPings, boolean answerClose,
            int receiveBuffer, boolean read) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(0);
        s.setTcpNoDelay(true);
        byte[] keyBytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(keyBytes);
        String request = "GET " + requestTarget + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(keyBytes) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        s.setSoTimeout(5_000);
        String status = readHeaders(in);
        s.setSoTimeout(0);
        FrameSocket fs = new FrameSocket(s, status, in);
        fs.answerPings = answerPings;
        fs.answerClose = answerClose;
        if (status.contains(" 101 ")) {
            if (read) {
                fs.resume();
            }
        } else {
            fs.eof.complete(null);
            fs.closeCode.complete(-1);
        }
        return fs;
    }

    /**
     * Reads an HTTP response head byte by byte up to the empty line (so no frame bytes are consumed); returns the
     * status line, or "EOF" when the stream ended first.
     */
    public static String readHeaders(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return "EOF";
                }
                break;
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int nl = text.indexOf("\r\n");
        return nl < 0 ? text : text.substring(0, nl);
    }

    /** The HTTP status line of the upgrade response, e.g. "HTTP/1.1 101 Switching Protocols", or "EOF". */
    public String statusLine() {
        return statusLine;
    }

    private void readLoop() {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        try {
            while (true) {
                int b0 = readByte();
                int b1 = readByte();
                boolean fin = (b0 & 0x80) != 0;
                int opcode = b0 & 0x0F;
                boolean masked = (b1 & 0x80) != 0;
                long len = b1 & 0x7F;
                if (len == 126) {
                    len = (readByte() << 8) | readByte();
                } else if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; i++) {
                        len = (len << 8) | readByte();
                    }
                }
                byte[] mask = masked ? readN(4) : null;
                byte[] payload = readN((int) len);
                if (mask != null) {
                    for (int i = 0; i < payload.length; i++) {
                        payload[i] ^= mask[i % 4];
                    }
                }
                switch (opcode) {
                    case OP_TEXT, OP_CONT -> {
                        message.write(payload);
                        if (fin) {
                            String text = message.toString(StandardCharsets.UTF_8);
                            transcript.add("text:" + text);
                            texts.add(text);
                            message.reset();
                        }
                    }
                    case OP_PING -> {
                        pings.incrementAndGet();
                        if (answerPings) {
                            sendFrame(OP_PONG, payload);
                        }
                    }
                    case OP_CLOSE -> {
                        int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
                        closeReason = payload.length > 2
                                ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                        transcript.add("close:" + code);
                        closeCode.complete(code);
                        if (answerClose) {
                            sendFrame(OP_CLOSE, payload.length >= 2 ? new byte[] {payload[0], payload[1]}
                                    : new byte[0]);
                        }
                    }
                    case OP_PONG -> pongs.incrementAndGet();
                    default -> { }
                }
            }
        } catch (IOException e) {
            // end of stream or reset
        } finally {
            closeCode.complete(-1);
            eof.complete(null);
        }
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException();
        }
        return b;
    }

    private byte[] readN(int n) throws IOException {
        byte[] buf = in.readNBytes(n);
        if (buf.length < n) {
            throw new EOFException();
        }
        return buf;
    }

    /** Sends one complete (FIN) masked frame. */
    public void sendFrame(int opcode, byte[] payload) throws IOException {
        sendFrame(opcode, payload, true);
    }

    public synchronized void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
        int len = payload.length;
        ByteBuffer buf = ByteBuffer.allocate(14 + len);
        buf.put((byte) ((fin ? 0x80 : 0) | opcode));
        if (len < 126) {
            buf.put((byte) (0x80 | len));
        } else if (len <= 0xFFFF) {
            buf.put((byte) (0x80 | 126));
            buf.putShort((short) len);
        } else {
            buf.put((byte) (0x80 | 127));
            buf.putLong(len);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        buf.put(mask);
        for (int i = 0; i < len; i++) {
            buf.put((byte) (payload[i] ^ mask[i % 4]));
        }
        out.write(buf.array(), 0, buf.position());
        out.flush();
    }

    /** Writes bytes as they are, e.g. a hand-made (broken) frame. */
    public synchronized void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public void sendText(String text) throws IOException {
        sendFrame(OP_TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Next text message within the timeout, or null. */
    public String next(long millis) throws InterruptedException {
        return texts.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Skips text messages until one containing {@code fragment} arrives, or null after the timeout. */
    public String nextContaining(String fragment, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return null;
            }
            String m = texts.poll(left, TimeUnit.MILLISECONDS);
            if (m == null || m.contains(fragment)) {
                return m;
            }
        }
    }

    /** Close code of the server's close frame (1005 if it carried none, -1 if the TCP connection ended without one), or null on timeout. */
    public Integer closeCode(long millis) {
        try {
            return closeCode.get(millis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    public String closeReason() {
        return closeReason;
    }

    /** Waits until the server has ended the TCP connection; false on timeout. */
    public boolean awaitEof(long millis) {
        try {
            eof.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Text messages ("text:...") and close frames ("close:code") in the order they arrived. */
    public java.util.List<String> transcript() {
        return java.util.List.copyOf(transcript);
    }

    public int pingsReceived() {
        return pings.get();
    }

    public int pongsReceived() {
        return pongs.get();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
