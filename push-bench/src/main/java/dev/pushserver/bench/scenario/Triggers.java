package dev.pushserver.bench.scenario;

import dev.pushserver.bench.core.HttpPublisher;
import dev.pushserver.bench.core.Payload;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.WsConn;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * Request bodies for POST /events (one channel per trigger) or POST /batch_events ({@code batch} events per
 * request, each to its own channel). Each (stream, channel) pair has its own sequence, so every subscriber can
 * check order and completeness of what each HTTP connection sent to its channel.
 */
final class Triggers implements HttpPublisher.Factory {

    private final String eventsPath;
    private final String batchPath;
    private final String[] quotedNames;
    private final long[][] seq;
    private final int payload;
    private final int batch;
    private final Phase phase;
    private final IntFunction<Integer> chooser;

    /**
     * @param chooser picks the channel id of the next event, given the stream (runs on the publisher's loop)
     */
    Triggers(String appId, String[] channelNames, int streams, int payload, int batch, Phase phase,
            IntFunction<Integer> chooser) {
        this.eventsPath = "/apps/" + appId + "/events";
        this.batchPath = "/apps/" + appId + "/batch_events";
        this.quotedNames = new String[channelNames.length];
        for (int i = 0; i < channelNames.length; i++) {
            StringBuilder sb = new StringBuilder();
            WsConn.quote(sb, channelNames[i]);
            quotedNames[i] = sb.toString();
        }
        this.seq = new long[streams][channelNames.length];
        this.payload = payload;
        this.batch = batch;
        this.phase = phase;
        this.chooser = chooser;
    }

    /** Restarts every sequence; call before a point, while the publisher is idle. */
    void reset() {
        for (long[] row : seq) {
            java.util.Arrays.fill(row, 0);
        }
    }

    @Override
    public HttpPublisher.Req build(int stream, long intendedNanos) {
        int point = phase.point();
        if (batch <= 0) {
            int ch = chooser.apply(stream);
            StringBuilder sb = new StringBuilder(payload + 80);
            sb.append("{\"name\":\"b\",\"channels\":[").append(quotedNames[ch]).append("],\"data\":\"")
                    .append(Payload.data(point, ch, stream, seq[stream][ch]++, intendedNanos, payload)).append("\"}");
            return new HttpPublisher.Req(eventsPath, sb.toString().getBytes(StandardCharsets.UTF_8), new int[] {ch});
        }
        int[] chans = new int[batch];
        StringBuilder sb = new StringBuilder(batch * (payload + 60) + 16);
        sb.append("{\"batch\":[");
        for (int i = 0; i < batch; i++) {
            int ch = chooser.apply(stream);
            chans[i] = ch;
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"name\":\"b\",\"channel\":").append(quotedNames[ch]).append(",\"data\":\"")
                    .append(Payload.data(point, ch, stream, seq[stream][ch]++, intendedNanos, payload)).append("\"}");
        }
        sb.append("]}");
        return new HttpPublisher.Req(batchPath, sb.toString().getBytes(StandardCharsets.UTF_8), chans);
    }
}
