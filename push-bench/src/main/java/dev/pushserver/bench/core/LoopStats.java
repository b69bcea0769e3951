package dev.pushserver.bench.core;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Counters and latency histograms of one client event loop. Written only by that loop; read by the main thread
 * through a task run on the loop (see {@link Pool#onLoops}).
 */
public final class LoopStats {

    /** Highest latency recorded, in microseconds (anything larger is clamped). */
    public static final long MAX_MICROS = 600_000_000L;

    public final int index;
    public final List<WsConn> conns = new ArrayList<>();
    public final Histogram latency = new Histogram(MAX_MICROS, 3);
    /** latency of deliveries to deliberately slow clients (slow-consumer), kept apart */
    public final Histogram slowLatency = new Histogram(MAX_MICROS, 3);
    /** every benchmark message of the current point */
    public long delivered;
    /** first copies received by healthy (reading) subscribers */
    public long unique;
    /** messages of the current point whose send time lies in the window */
    public long deliveredSentInWindow;
    /** messages of the current point that arrived inside the window */
    public long arrivedInWindow;
    /** benchmark messages of an older point */
    public long stragglers;
    /** benchmark messages on a channel the connection did not subscribe to */
    public long foreign;
    /** text frames that were not benchmark data */
    public long control;
    /** bytes of frame payload received */
    public long bytes;

    LoopStats(int index) {
        this.index = index;
    }

    public void resetPoint() {
        latency.reset();
        slowLatency.reset();
        delivered = 0;
        unique = 0;
        deliveredSentInWindow = 0;
        arrivedInWindow = 0;
        stragglers = 0;
        foreign = 0;
        control = 0;
        bytes = 0;
    }

    public static void record(Histogram h, long nanos) {
        long us = nanos / 1000;
        h.recordValue(us < 0 ? 0 : Math.min(us, MAX_MICROS));
    }
}
