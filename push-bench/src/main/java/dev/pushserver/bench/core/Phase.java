package dev.pushserver.bench.core;

/**
 * The current rate point and its measurement window, shared by the sender and every receiving event loop. Messages
 * of another point are stragglers; only messages sent inside the window are recorded in the latency histogram.
 */
public final class Phase {

    private volatile int point = -1;
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;

    public void set(int point, long windowStart, long windowEnd) {
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
        this.point = point;
    }

    public int point() {
        return point;
    }

    public long windowStart() {
        return windowStart;
    }

    public long windowEnd() {
        return windowEnd;
    }

    public boolean inWindow(long nanos) {
        return nanos >= windowStart && nanos < windowEnd;
    }
}
