package dev.pushserver.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A per-second budget kept as one number, the generic cell rate algorithm: a bucket that holds one second's worth
 * ({@code perSecond}) and refills continuously. The number is the "theoretical arrival time" in microseconds: taking
 * {@code n} moves it {@code n / perSecond} seconds on, and a take that would move it more than one second past now is
 * refused. The same arithmetic runs in Redis ({@link RedisScripts#TAKE}) for a cluster-wide budget.
 */
public final class RateBudget {

    /** How far ahead of now the arrival time may run: a burst of one second's worth. */
    public static final long WINDOW_MICROS = 1_000_000;

    private final AtomicLong tat = new AtomicLong();

    /** Microseconds {@code amount} moves the arrival time on at {@code perSecond}. */
    public static long cost(int amount, int perSecond) {
        return (amount * WINDOW_MICROS + perSecond - 1) / perSecond;
    }

    /**
     * Takes {@code amount} at {@code nowMicros}.
     *
     * @return 0 when taken, else the microseconds to wait until the same amount would be taken
     */
    public long take(long nowMicros, int amount, int perSecond) {
        long cost = cost(amount, perSecond);
        while (true) {
            long current = tat.get();
            long next = Math.max(current, nowMicros) + cost;
            long ahead = next - nowMicros;
            if (ahead > WINDOW_MICROS) {
                return ahead - WINDOW_MICROS;
            }
            if (tat.compareAndSet(current, next)) {
                return 0;
            }
        }
    }

    /** Now in microseconds since the epoch, as the budgets count. */
    public static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }
}
