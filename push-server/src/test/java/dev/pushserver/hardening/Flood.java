package dev.pushserver.hardening;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An attacker that writes and never reads: non-blocking writes of a head followed by a repeated pattern on one or
 * many connections, from one background (daemon) thread. A connection on which no byte could be written for
 * {@code stallMillis} is given up (left open, still unread): a server that stops reading a client that does not read
 * its answers shows up as {@link Outcome#STALLED}; one that closes it as {@link Outcome#CLOSED_BY_PEER}; one that
 * swallows everything as {@link Outcome#COMPLETED}.
 */
final class Flood {

    enum Outcome { COMPLETED, STALLED, CLOSED_BY_PEER, DEADLINE }

    /** What happened on one connection. */
    record Result(long written, Outcome outcome, long millis) {

        @Override
        public String toString() {
            return outcome + " after " + Flood.mb(written) + " in " + millis + " ms";
        }
    }

    private Flood() {
    }

    /** A connected channel with a small receive buffer (so that unread answers back up into the server soon). */
    static SocketChannel connect(int port) throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.connect(new InetSocketAddress("127.0.0.1", port));
        return ch;
    }

    /**
     * Starts writing on a daemon thread: on each channel {@code head} then {@code pattern} repeated until
     * {@code patternBytes} bytes of it; gives a connection up after {@code stallMillis} without progress, and stops
     * everything at {@code deadlineMillis}.
     */
    static CompletableFuture<List<Result>> start(List<SocketChannel> channels, byte[] head, byte[] pattern,
            long patternBytes, long stallMillis, long deadlineMillis) {
        CompletableFuture<List<Result>> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                done.complete(run(channels, head, pattern, patternBytes, stallMillis, deadlineMillis));
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "hardening-flood");
        t.setDaemon(true);
        t.start();
        return done;
    }

    static Result one(CompletableFuture<List<Result>> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS).get(0);
    }

    private static final class State {
        final SocketChannel ch;
        final ByteBuffer head;
        final ByteBuffer pattern;
        long patternLeft;
        long written;
        long lastProgress;
        Outcome outcome;
        long millis;

        State(SocketChannel ch, byte[] head, byte[] pattern, long patternBytes) {
            this.ch = ch;
            this.head = ByteBuffer.wrap(head == null ? new byte[0] : head);
            this.pattern = ByteBuffer.wrap(pattern);
            this.pattern.limit(0);
            this.patternLeft = patternBytes;
        }

        /** The next bytes to write, or null when everything has been written. */
        ByteBuffer next() {
            if (head.hasRemaining()) {
                return head;
            }
            if (!pattern.hasRemaining()) {
                if (patternLeft <= 0) {
                    return null;
                }
                int n = (int) Math.min(pattern.capacity(), patternLeft);
                pattern.clear().limit(n);
                patternLeft -= n;
            }
            return pattern;
        }
    }

    private static List<Result> run(List<SocketChannel> channels, byte[] head, byte[] pattern, long patternBytes,
            long stallMillis, long deadlineMillis) throws IOException {
        long start = System.currentTimeMillis();
        List<State> states = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            for (SocketChannel ch : channels) {
                ch.configureBlocking(false);
                State s = new State(ch, head, pattern, patternBytes);
                s.lastProgress = start;
                states.add(s);
                ch.register(selector, SelectionKey.OP_WRITE, s);
            }
            int active = states.size();
            while (active > 0) {
                long now = System.currentTimeMillis();
                for (State s : states) {
                    if (s.outcome != null) {
                        continue;
                    }
                    try {
                        while (true) {
                            ByteBuffer b = s.next();
                            if (b == null) {
                                s.outcome = Outcome.COMPLETED;
                                break;
                            }
                            int n = s.ch.write(b);
                            if (n <= 0) {
                                break;
                            }
                            s.written += n;
                            s.lastProgress = System.currentTimeMillis();
                        }
                    } catch (IOException e) {
                        s.outcome = Outcome.CLOSED_BY_PEER;
                    }
                    if (s.outcome == null && now - s.lastProgress > stallMillis) {
                        s.outcome = Outcome.STALLED;
                    }
                    if (s.outcome == null && now - start > deadlineMillis) {
                        s.outcome = Outcome.DEADLINE;
                    }
                    if (s.outcome != null) {
                        s.millis = System.currentTimeMillis() - start;
                        active--;
                        SelectionKey k = s.ch.keyFor(selector);
                        if (k != null) {
                            k.cancel();
                        }
                    }
                }
                if (active > 0) {
                    selector.select(50);
                    selector.selectedKeys().clear();
                }
            }
        }
        for (SocketChannel ch : channels) {
            if (ch.isOpen()) {
                ch.configureBlocking(true);
            }
        }
        List<Result> out = new ArrayList<>();
        for (State s : states) {
            out.add(new Result(s.written, s.outcome, s.millis));
        }
        return out;
    }

    /** One connection's ending as seen by a reader: closed by the server (and the first bytes it sent), or not. */
    record Closed(boolean closed, String firstBytes) {
    }

    /**
     * Reads (and discards, keeping the first 512 bytes) on each channel until the server ends it or {@code millis}
     * pass; returns per channel whether it was closed. Channels are left non-blocking.
     */
    static List<Closed> awaitClosed(List<SocketChannel> channels, long millis) throws IOException {
        boolean[] closed = new boolean[channels.size()];
        StringBuilder[] first = new StringBuilder[channels.size()];
        long deadline = System.currentTimeMillis() + millis;
        try (Selector selector = Selector.open()) {
            int open = 0;
            for (int i = 0; i < channels.size(); i++) {
                first[i] = new StringBuilder();
                SocketChannel ch = channels.get(i);
                if (!ch.isOpen()) {
                    closed[i] = true;
                    continue;
                }
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, i);
                open++;
            }
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (open > 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    break;
                }
                selector.select(Math.min(left, 100));
                for (SelectionKey k : selector.selectedKeys()) {
                    int i = (Integer) k.attachment();
                    SocketChannel ch = (SocketChannel) k.channel();
                    boolean ended = false;
                    try {
                        while (true) {
                            buf.clear();
                            int n = ch.read(buf);
                            if (n < 0) {
                                ended = true;
                                break;
                            }
                            if (n == 0) {
                                break;
                            }
                            if (first[i].length() < 512) {
                                first[i].append(new String(buf.array(), 0, Math.min(n, 512 - first[i].length()),
                                        StandardCharsets.ISO_8859_1));
                            }
                        }
                    } catch (IOException e) {
                        ended = true;
                    }
                    if (ended) {
                        closed[i] = true;
                        k.cancel();
                        open--;
                    }
                }
                selector.selectedKeys().clear();
            }
        }
        List<Closed> out = new ArrayList<>();
        for (int i = 0; i < channels.size(); i++) {
            out.add(new Closed(closed[i], first[i].toString()));
        }
        return out;
    }

    static void closeAll(List<SocketChannel> channels) {
        for (SocketChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // clean-up
            }
        }
    }

    static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1048576.0);
    }
}
