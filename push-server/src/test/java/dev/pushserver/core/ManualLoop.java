package dev.pushserver.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * An event loop driven by the test: tasks wait until {@link #runPending} runs them on the calling thread, timers fire
 * when the test's clock has passed them. Deterministic, no threads.
 */
final class ManualLoop extends AbstractExecutorService implements ScheduledExecutorService {

    private static final ThreadLocal<ManualLoop> CURRENT = new ThreadLocal<>();

    final int index;
    private final LongSupplier clock;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private long timerSeq;

    ManualLoop(int index, LongSupplier nanoClock) {
        this.index = index;
        this.clock = nanoClock;
    }

    boolean inLoop() {
        return CURRENT.get() == this;
    }

    @Override
    public synchronized void execute(Runnable command) {
        tasks.add(command);
    }

    synchronized int pending() {
        return tasks.size();
    }

    /** Runs the tasks queued so far and those they queue, until none is left; returns how many ran. */
    int runPending() {
        ManualLoop outer = CURRENT.get();
        CURRENT.set(this);
        int n = 0;
        try {
            Runnable r;
            while ((r = poll()) != null) {
                r.run();
                n++;
            }
        } finally {
            CURRENT.set(outer);
        }
        return n;
    }

    /** Runs exactly one queued task, if any. */
    boolean runOne() {
        Runnable r = poll();
        if (r == null) {
            return false;
        }
        ManualLoop outer = CURRENT.get();
        CURRENT.set(this);
        try {
            r.run();
        } finally {
            CURRENT.set(outer);
        }
        return true;
    }

    private synchronized Runnable poll() {
        return tasks.poll();
    }

    /** Queues the timers that are due by now. */
    synchronized void fireDueTimers() {
        long now = clock.getAsLong();
        while (!timers.isEmpty() && timers.peek().due <= now) {
            Timer t = timers.poll();
            if (!t.cancelled) {
                tasks.add(t.task);
                if (t.period > 0) {
                    timers.add(new Timer(t.task, t.due + t.period, t.period, timerSeq++));
                }
            }
        }
    }

    @Override
    public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        Timer t = new Timer(command, clock.getAsLong() + unit.toNanos(delay), 0, timerSeq++);
        timers.add(t);
        return t;
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public synchronized ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
            TimeUnit unit) {
        Timer t = new Timer(command, clock.getAsLong() + unit.toNanos(initialDelay), unit.toNanos(period), timerSeq++);
        timers.add(t);
        return t;
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        return scheduleAtFixedRate(command, initialDelay, delay, unit);
    }

    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return new ArrayList<>();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }

    @Override
    public String toString() {
        return "loop " + index;
    }

    private final class Timer implements ScheduledFuture<Object> {
        final Runnable task;
        final long due;
        final long period;
        final long seq;
        volatile boolean cancelled;

        Timer(Runnable task, long due, long period, long seq) {
            this.task = task;
            this.due = due;
            this.period = period;
            this.seq = seq;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(due - clock.getAsLong(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            Timer t = (Timer) o;
            return due != t.due ? Long.compare(due, t.due) : Long.compare(seq, t.seq);
        }

        @Override
        public boolean cancel(boolean mayInterrupt) {
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled;
        }

        @Override
        public Object get() {
            return null;
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return null;
        }
    }
}
