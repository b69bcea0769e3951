package dev.pushserver.config;

import java.nio.file.Path;
import java.util.List;

/**
 * How hook events are queued and delivered (server keys).
 *
 * @param dataDir            where the SQLite queue file lives
 * @param batchMs            how long a webhook waits for more events before it posts a batch (0: post at once)
 * @param batchMax           events per posted batch at most
 * @param timeoutSeconds     a receiver must answer 2xx within this
 * @param retryPeriodSeconds failed batches are retried with back-off for this long, then dead-lettered
 * @param workers            batches being delivered at once (0: this node does not deliver; a separate
 *                           {@code push-server hooks} process does)
 * @param vacateDelayMs      channel_vacated and member_removed are held back this long and dropped, with the
 *                           occupied / added that follows, when the channel or member comes back meanwhile (0: off)
 * @param handlers           class names of extra {@code HookHandler}s (besides those found by ServiceLoader)
 * @param adminToken         bearer token of the /admin/hooks endpoints (null: the endpoints are off)
 * @param pendingTimeoutSeconds with Redis: a destination whose deliverer has not renewed its claim for this long is
 *                           taken over by another hook worker, which delivers what was pending again
 */
public record HookSettings(Path dataDir, int batchMs, int batchMax, int timeoutSeconds, int retryPeriodSeconds,
        int workers, int vacateDelayMs, List<String> handlers, String adminToken, int pendingTimeoutSeconds) {

    /** webhook_workers' default, and what a {@code push-server hooks} process uses when the file says 0. */
    public static final int DEFAULT_WORKERS = 8;

    public HookSettings {
        handlers = List.copyOf(handlers);
    }

    public HookSettings withWorkers(int n) {
        return new HookSettings(dataDir, batchMs, batchMax, timeoutSeconds, retryPeriodSeconds, n, vacateDelayMs,
                handlers, adminToken, pendingTimeoutSeconds);
    }
}
