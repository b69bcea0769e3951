package dev.pushserver.bench.core;

import io.netty.buffer.ByteBuf;

/**
 * The benchmark's event data: {@code BQ:<point>:<channel id>:<stream>:<seq>:<send nanos>;} padded with {@code x} to
 * the wanted size. Plain ASCII without quotes or backslashes, so it travels unchanged inside the JSON string
 * {@code data} of any Pusher message and can be found in a received frame without a JSON parser.
 */
public final class Payload {

    private Payload() {
    }

    public static String data(int point, int channel, int stream, long seq, long sendNanos, int size) {
        StringBuilder sb = new StringBuilder(Math.max(size, 48));
        sb.append("BQ:").append(point).append(':').append(channel).append(':').append(stream).append(':')
                .append(seq).append(':').append(sendNanos).append(';');
        while (sb.length() < size) {
            sb.append('x');
        }
        return sb.toString();
    }

    /**
     * Looks for the marker between {@code from} and {@code to} and parses the five numbers into {@code out}
     * (point, channel, stream, seq, send nanos). Returns false when the frame carries no benchmark data.
     */
    public static boolean parse(ByteBuf buf, int from, int to, long[] out) {
        int i = from;
        while (true) {
            int q = buf.indexOf(i, to, (byte) 'Q');
            if (q < 0) {
                return false;
            }
            if (q > from && q + 1 < to && buf.getByte(q - 1) == 'B' && buf.getByte(q + 1) == ':') {
                i = q + 2;
                break;
            }
            i = q + 1;
        }
        for (int f = 0; f < 5; f++) {
            long v = 0;
            boolean neg = false;
            int start = i;
            if (i < to && buf.getByte(i) == '-') {
                neg = true;
                i++;
            }
            while (i < to) {
                byte c = buf.getByte(i);
                if (c < '0' || c > '9') {
                    break;
                }
                v = v * 10 + (c - '0');
                i++;
            }
            if (i == start || i >= to) {
                return false;
            }
            byte sep = buf.getByte(i);
            if (sep != (f == 4 ? (byte) ';' : (byte) ':')) {
                return false;
            }
            out[f] = neg ? -v : v;
            i++;
        }
        return true;
    }
}
