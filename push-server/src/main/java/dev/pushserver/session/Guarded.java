package dev.pushserver.session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reports a failure inside recurring work (sweeps, flushes, timers), which then goes on with the next item. */
public final class Guarded {

    private static final Logger log = LoggerFactory.getLogger(Guarded.class);

    private Guarded() {
    }

    /** Our bug: logged with its stack trace, and the work goes on. */
    public static void failed(String what, Throwable t) {
        log.error("{} failed (continuing with the rest): {}", what, t.toString(), t);
    }

    /** {@code task} as a timer task that never lets a failure cancel its schedule. */
    public static Runnable task(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {
                failed(what, t);
            }
        };
    }
}
