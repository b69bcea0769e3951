package dev.pushserver.hook;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.config.ConfigException;
import dev.pushserver.config.HookSettings;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.config.WebhookConfig;
import dev.pushserver.event.EventStream;
import dev.pushserver.session.Guarded;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hook server: hook events are written to the durable queue ({@link HookQueue}: SQLite, or Redis Streams
 * shared by the deployment) before anything else happens to them, then delivered to their destinations (a webhook,
 * or a user's {@link HookHandler}) in batches, in order per destination, at least once: a failed batch is retried
 * with exponential back-off and jitter for {@code webhook_retry_period}, then dead-lettered. Destinations are
 * independent: one that is down delays only its own queue. Everything runs on one thread (the queue's connection
 * belongs to it); deliveries are asynchronous.
 */
public final class HookService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HookService.class);

    /** Queued events not yet written past this many make a log line (the writer cannot keep up). */
    static final int BACKLOG_WARNING = 10_000;
    static final long MAX_BACKOFF_MS = 60_000;

    private final HookSettings settings;
    private final HookQueue queue;
    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final Map<App, List<Target>> byApp = new HashMap<>();
    private final Map<App, Set<String>> wanted = new HashMap<>();
    private final ScheduledExecutorService thread;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final boolean delivering;
    /** this process holds the data_dir lock: with Redis, it moves events written aside back */
    private final boolean requeuer;
    private final ScheduledFuture<?> scan;

    private final ConcurrentLinkedQueue<Incoming> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicLong incomingCount = new AtomicLong();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder emitted = new LongAdder();
    private final LongAdder stored = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder failedAttempts = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    private volatile long warnedAt;
    /** why the queue could not be written / read the last time it was tried; null once it worked again (/ready) */
    private volatile String writeProblem;
    private volatile String readProblem;
    private long problemLoggedAt;
    private final Set<String> unknownLogged = new HashSet<>();

    // the hook thread's own state
    private int inFlight;
    private final ArrayDeque<Target> waiting = new ArrayDeque<>();
    /** vacated / member_removed held back by webhook_vacate_delay_ms, by app, channel (and user) */
    private final Map<String, Held> held = new HashMap<>();

    private record Incoming(App app, HookEvent event, String userId) {
    }

    private record Held(App app, HookEvent event, long dueMs) {
    }

    /** One destination: a handler for one app. Its fields other than the final ones belong to the hook thread. */
    private static final class Target {
        final String key;
        final App app;
        final HookHandler handler;
        boolean inFlight;
        boolean waiting;
        boolean batched;
        ScheduledFuture<?> timer;
        long loggedAt;

        Target(String key, App app, HookHandler handler) {
            this.key = key;
            this.app = app;
            this.handler = handler;
        }
    }

    private HookService(HookSettings settings, HookQueue queue, List<Target> all, boolean deliver,
            FileChannel lockFile, FileLock lock) {
        this.settings = settings;
        this.queue = queue;
        this.lockFile = lockFile;
        this.lock = lock;
        boolean shared = !queue.ownsAllTargets();
        // with SQLite one process delivers (the lock holder); with Redis every worker may, claims keep the order
        this.delivering = deliver && settings.workers() > 0 && (shared || lock != null);
        this.requeuer = shared && lock != null;
        for (Target t : all) {
            targets.put(t.key, t);
            byApp.computeIfAbsent(t.app, a -> new ArrayList<>()).add(t);
            // a webhook wants its configured types; a user's handler decides per event, so it may want any
            wanted.computeIfAbsent(t.app, a -> new HashSet<>()).addAll(
                    t.handler instanceof WebhookSender w ? w.types() : WebhookConfig.EVENT_TYPES);
        }
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "hooks");
            th.setDaemon(true);
            return th;
        });
        // finds what a restart left, what another process queued, and replayed dead letters; keeps Redis claims
        this.scan = delivering || shared ? thread.scheduleWithFixedDelay(Guarded.task("hook queue scan", this::scan),
                0, 500, TimeUnit.MILLISECONDS) : null;
    }

    /**
     * The hook service of a server or of a {@code push-server hooks} process, or null when no app has a webhook and
     * no handler is installed. Fails with a {@link ConfigException} naming the key when the queue cannot be opened
     * under {@code data_dir} or a handler cannot be loaded.
     *
     * @param events  where transitions come from (null for a process that only delivers)
     * @param deliver whether this process delivers ({@code webhook_workers} > 0 and nobody else holds the lock)
     */
    public static HookService start(ServerConfig config, AppRegistry apps, EventStream events, boolean deliver) {
        HookSettings settings = config.hooks();
        List<HookHandler> handlers = handlers(settings);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(settings.timeoutSeconds())).build();
        List<Target> all = new ArrayList<>();
        for (App app : apps.all()) {
            List<WebhookConfig> hooks = app.config().webhooks();
            for (int i = 0; i < hooks.size(); i++) {
                WebhookSender sender = new WebhookSender(app, i, hooks.get(i), http,
                        Duration.ofSeconds(settings.timeoutSeconds()), events);
                all.add(new Target(sender.name(), app, sender));
            }
            for (HookHandler h : handlers) {
                all.add(new Target("handler:" + h.name() + ":" + app.id(), app, h));
            }
        }
        if (all.isEmpty()) {
            return null;
        }
        HookQueue queue = open(config, true);
        boolean shared = !queue.ownsAllTargets();
        FileChannel lockFile = null;
        FileLock lock = null;
        // the data_dir lock: without Redis, the one process that delivers; with it, the one that moves events
        // written aside back to Redis (any process may deliver then)
        if (shared || (deliver && settings.workers() > 0)) {
            try {
                lockFile = FileChannel.open(settings.dataDir().resolve("hooks.lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                lock = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // another hook service in this JVM holds it
            } catch (IOException e) {
                queue.close();
                throw new ConfigException("config key data_dir: cannot lock " + settings.dataDir().toAbsolutePath()
                        + ": " + e.getMessage());
            }
        }
        if (lock == null && deliver && settings.workers() > 0 && !shared) {
            log.warn("another process delivers the hook events of {}; this one only queues them", queue.describe());
        }
        HookService service = new HookService(settings, queue, all, deliver, lockFile, lock);
        if (events != null) {
            events.listen(new HookListener(service));
        }
        log.info("hooks: {} destinations, queue {}{}", all.size(), queue.describe(),
                service.delivering ? ", delivering with " + settings.workers() + " workers" : ", not delivering");
        return service;
    }

    /**
     * The configured queue: Redis Streams when {@code redis_url} is set (with the SQLite file under data_dir for
     * events written while Redis is unreachable), the SQLite file otherwise. {@code create}: a tool passes false so
     * that a mistyped data_dir is an error, not an empty queue.
     */
    public static HookQueue open(ServerConfig config, boolean create) {
        HookSettings settings = config.hooks();
        HookStore local = null;
        try {
            if (create || !config.redis().enabled() || java.nio.file.Files.exists(settings.dataDir()
                    .resolve("hooks.db"))) {
                local = HookStore.open(settings.dataDir(), create);
            }
        } catch (IOException e) {
            throw new ConfigException("config key data_dir: " + e.getMessage());
        }
        if (!config.redis().enabled()) {
            return local;
        }
        return new RedisHookQueue(config.redis(), consumerName(), settings.pendingTimeoutSeconds(), local);
    }

    /** This process's name on Redis claims and in consumer groups: host, pid and a random part. */
    private static String consumerName() {
        String host = System.getenv().getOrDefault("HOSTNAME", "node");
        return host + ":" + ProcessHandle.current().pid() + ":"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0x100000));
    }

    private static List<HookHandler> handlers(HookSettings settings) {
        List<HookHandler> out = new ArrayList<>();
        ServiceLoader.load(HookHandler.class).forEach(out::add);
        for (String name : settings.handlers()) {
            try {
                Object h = Class.forName(name).getDeclaredConstructor().newInstance();
                if (!(h instanceof HookHandler handler)) {
                    throw new ConfigException("config key hook_handlers: " + name + " is not a "
                            + HookHandler.class.getName());
                }
                out.add(handler);
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new ConfigException("config key hook_handlers: cannot load " + name + ": " + e);
            }
        }
        return out;
    }

    /** Whether an event of this type of this app has a destination that may want it. */
    boolean wants(App app, String type) {
        Set<String> names = wanted.get(app);
        return names != null && names.contains(type);
    }

    // ---- queueing ---------------------------------------------------------------------------------------------

    /** Hands an event over for writing; any thread, never blocks. */
    void offer(App app, HookEvent event, String userId) {
        incoming.add(new Incoming(app, event, userId));
        accepted.increment();
        long backlog = incomingCount.incrementAndGet();
        if (backlog > BACKLOG_WARNING && System.nanoTime() - warnedAt > 10_000_000_000L) {
            warnedAt = System.nanoTime();
            log.warn("hook queue writer is behind: {} events wait to be written to {}", backlog, queue.describe());
        }
        if (flushScheduled.compareAndSet(false, true)) {
            thread.execute(Guarded.task("hook queue write", this::flush));
        }
    }

    /** Writes what came in (one transaction), then wakes the destinations. On the hook thread. */
    private void flush() {
        flushScheduled.set(false);
        List<HookQueue.Row> rows = new ArrayList<>();
        long now = System.currentTimeMillis();
        Incoming in;
        int taken = 0;
        while ((in = incoming.poll()) != null) {
            taken++;
            if (!holdBack(in, now)) {
                rows(in.app, in.event, rows);
            }
        }
        incomingCount.addAndGet(-taken);
        releaseHeld(now, rows);
        write(rows);
    }

    private void rows(App app, HookEvent e, List<HookQueue.Row> rows) {
        for (Target t : byApp.getOrDefault(app, List.of())) {
            if (t.handler.wants(app, e.name(), e.channel())) {
                rows.add(new HookQueue.Row(e.id(), t.key, app.id(), e.name(), e.channel(), e.json(),
                        e.timeMillis()));
            }
        }
    }

    private void write(List<HookQueue.Row> rows) {
        if (rows.isEmpty()) {
            return;
        }
        try {
            queue.insert(rows);
            stored.add(rows.size());
            writeProblem = null;
        } catch (HookQueue.Unavailable e) {
            writeProblem = "the hook queue " + queue.describe() + " cannot be written: " + e.getMessage();
            // kept and tried again: a full disk must not lose events
            log.error("cannot write {} hook events to {} (retrying in 1 s): {}", rows.size(), queue.describe(),
                    e.getMessage());
            thread.schedule(Guarded.task("hook queue write retry", () -> write(rows)), 1, TimeUnit.SECONDS);
            return;
        }
        Set<String> touched = new LinkedHashSet<>();
        Set<String> ids = new HashSet<>();
        for (HookQueue.Row r : rows) {
            touched.add(r.target());
            ids.add(r.id());
        }
        emitted.add(ids.size()); // an event counts as emitted once it is durable
        touched.forEach(this::poke);
    }

    /**
     * webhook_vacate_delay_ms: a vacated / member_removed waits; an occupied / member_added of the same channel (and
     * user) meanwhile cancels both, as Pusher does for page reloads. Returns true when {@code in} was held or dropped.
     */
    private boolean holdBack(Incoming in, long now) {
        int delay = settings.vacateDelayMs();
        if (delay == 0) {
            return false;
        }
        String name = in.event.name();
        String key = in.app.id() + '\u0000' + in.event.channel()
                + (name.startsWith("member_") ? '\u0000' + in.userId : "");
        if (name.equals("channel_vacated") || name.equals("member_removed")) {
            held.put(key, new Held(in.app, in.event, now + delay));
            thread.schedule(Guarded.task("held hook events", this::flushHeld), delay, TimeUnit.MILLISECONDS);
            return true;
        }
        if ((name.equals("channel_occupied") || name.equals("member_added")) && held.remove(key) != null) {
            return true; // back within the delay: neither the vacated nor this occupied is sent
        }
        return false;
    }

    private void flushHeld() {
        List<HookQueue.Row> rows = new ArrayList<>();
        releaseHeld(System.currentTimeMillis(), rows);
        write(rows);
    }

    private void releaseHeld(long now, List<HookQueue.Row> rows) {
        if (held.isEmpty()) {
            return;
        }
        var it = held.values().iterator();
        while (it.hasNext()) {
            Held h = it.next();
            if (h.dueMs <= now) {
                it.remove();
                rows(h.app, h.event, rows);
            }
        }
    }

    // ---- delivery ---------------------------------------------------------------------------------------------

    /**
     * Lets the queue keep its claims and move back what was written aside, then finds destinations with queued
     * events (after a restart, queued by another process, replayed) and wakes them.
     */
    private void scan() {
        queue.maintain(requeuer);
        if (!delivering) {
            return;
        }
        try {
            Set<String> queued = queue.targets();
            readProblem = null;
            for (String key : queued) {
                if (targets.containsKey(key)) {
                    poke(key);
                } else if (queue instanceof HookStore local) {
                    int n = local.deadLetterTarget(key, System.currentTimeMillis(),
                            "no such destination in the configuration any more");
                    deadLettered.add(n);
                    log.warn("{} queued hook events for {}, which is no longer configured, moved to the dead letters",
                            n, key);
                } else if (unknownLogged.add(key)) {
                    log.warn("hook events are queued for {}, which this process's configuration does not have; a "
                            + "process that has it delivers them", key);
                }
            }
        } catch (HookQueue.Unavailable e) {
            readProblem = "the hook queue " + queue.describe() + " cannot be read: " + e.getMessage();
            problem("cannot read the hook queue", e);
        }
    }

    /** Null while the hook queue can be written and read, else what is wrong (for /ready). */
    public String problem() {
        String w = writeProblem;
        return w != null ? w : readProblem;
    }

    /** A queue failure, logged at most every 10 s (Redis down would otherwise log per event). */
    private void problem(String what, HookQueue.Unavailable e) {
        long now = System.nanoTime();
        if (problemLoggedAt == 0 || now - problemLoggedAt > 10_000_000_000L) {
            problemLoggedAt = now;
            log.error("{} {}: {}", what, queue.describe(), e.getMessage());
        }
    }

    private void poke(String key) {
        Target t = targets.get(key);
        if (!delivering || t == null || t.inFlight || t.waiting || t.timer != null) {
            return;
        }
        if (settings.batchMs() > 0 && !t.batched) {
            t.batched = true; // wait a moment for more events, then post them together
            t.timer = thread.schedule(Guarded.task("hook batch", () -> {
                t.timer = null;
                dispatch(t);
            }), settings.batchMs(), TimeUnit.MILLISECONDS);
            return;
        }
        dispatch(t);
    }

    private void dispatch(Target t) {
        if (t.inFlight) {
            return;
        }
        if (inFlight >= settings.workers()) {
            if (!t.waiting) {
                t.waiting = true;
                waiting.add(t);
            }
            return;
        }
        List<HookQueue.Queued> rows;
        try {
            rows = queue.head(t.key, settings.batchMax());
        } catch (HookQueue.Unavailable e) {
            t.batched = false;
            problem("cannot read the hook queue", e);
            return;
        }
        t.batched = false;
        if (rows.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        long due = rows.get(0).nextAttemptMs();
        if (due > now) {
            t.timer = thread.schedule(Guarded.task("hook retry", () -> {
                t.timer = null;
                dispatch(t);
            }), due - now, TimeUnit.MILLISECONDS);
            return;
        }
        int attempt = rows.get(0).attempts() + 1;
        List<HookEvent> events = new ArrayList<>(rows.size());
        for (HookQueue.Queued q : rows) {
            events.add(new HookEvent(q.id(), q.name(), q.channel(), q.createdMs(), q.json()));
        }
        t.inFlight = true;
        inFlight++;
        CompletionStage<Void> result;
        try {
            result = t.handler.handle(new HookBatch(t.app, t.key, attempt, events));
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete((v, failure) -> thread.execute(Guarded.task("hook delivery result",
                () -> finished(t, rows, attempt, failure))));
    }

    private void finished(Target t, List<HookQueue.Queued> rows, int attempt, Throwable failure) {
        t.inFlight = false;
        inFlight--;
        long now = System.currentTimeMillis();
        try {
            if (failure == null) {
                queue.delivered(t.key, rows);
                delivered.add(rows.size());
            } else {
                failedAttempts.increment();
                String error = describe(failure);
                List<HookQueue.Queued> expired = new ArrayList<>();
                List<HookQueue.Queued> retry = new ArrayList<>();
                for (HookQueue.Queued q : rows) {
                    if (now - q.createdMs() >= settings.retryPeriodSeconds() * 1000L) {
                        expired.add(q);
                    } else {
                        retry.add(q);
                    }
                }
                if (!expired.isEmpty()) {
                    queue.deadLetter(t.key, expired, attempt, now, error);
                    deadLettered.add(expired.size());
                    log.warn("{}: {} hook events dead-lettered after {} attempts over {} s: {}", t.key,
                            expired.size(), attempt, settings.retryPeriodSeconds(), error);
                }
                if (!retry.isEmpty()) {
                    queue.failed(t.key, retry, attempt, now + backoff(attempt), error);
                    if (now - t.loggedAt > 10_000) {
                        t.loggedAt = now;
                        log.warn("{}: delivery attempt {} failed, retrying with back-off: {}", t.key, attempt, error);
                    }
                }
            }
        } catch (HookQueue.Unavailable e) {
            // the batch stays queued and is delivered again: at least once
            problem("cannot update the hook queue", e);
        }
        poke(t.key);
        while (inFlight < settings.workers() && !waiting.isEmpty()) {
            Target next = waiting.poll();
            next.waiting = false;
            dispatch(next);
        }
    }

    /** 1 s, 2 s, 4 s ... up to a minute, each ±20 %. */
    static long backoff(int attempt) {
        long base = Math.min(MAX_BACKOFF_MS, 1_000L << Math.min(attempt - 1, 16));
        return (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
    }

    private static String describe(Throwable failure) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    // ---- status and tools --------------------------------------------------------------------------------------

    /**
     * Counters since start and the queue as it stands. {@code accepted}: events handed to the hook service;
     * {@code emitted}: of those, events made durable; {@code stored}: queue entries (an event per destination).
     */
    public record Status(boolean delivering, String queue, long accepted, long emitted, long stored, long delivered,
            long failedAttempts, long deadLettered, long waitingToBeWritten, long waitingForRedis,
            Map<String, HookQueue.TargetStatus> queues, long deadLetters, String queueError) {
    }

    /** The status; while the queue cannot be read (Redis down), the counters and {@code queueError} say why. */
    public CompletionStage<Status> status() {
        return onThread(() -> {
            long aside = queue.waitingForRedis();
            Map<String, HookQueue.TargetStatus> queues = Map.of();
            long dead = -1;
            String error = null;
            try {
                queues = queue.status();
                dead = queue.deadCount();
            } catch (HookQueue.Unavailable e) {
                error = e.getMessage();
            }
            return new Status(delivering, queue.describe(), accepted.sum(), emitted.sum(), stored.sum(),
                    delivered.sum(), failedAttempts.sum(), deadLettered.sum(), incomingCount.get(), aside, queues,
                    dead, error);
        });
    }

    /** Whether this process delivers (webhook_workers > 0 and, with SQLite, it holds the data_dir lock). */
    public boolean delivering() {
        return delivering;
    }

    public CompletionStage<List<HookQueue.DeadLetter>> deadLetters(int limit) {
        return onThread(() -> queue.deadLetters(limit));
    }

    /** Queues dead letters again (all when {@code id} is null); returns how many. */
    public CompletionStage<Integer> replay(String id) {
        return onThread(() -> {
            int n = queue.replay(id, System.currentTimeMillis());
            scan();
            return n;
        });
    }

    /** Drops every queued event and dead letter. */
    public CompletionStage<Integer> reset() {
        return onThread(queue::reset);
    }

    private interface QueueWork<T> {
        T run() throws HookQueue.Unavailable;
    }

    private <T> CompletionStage<T> onThread(QueueWork<T> work) {
        return CompletableFuture.supplyAsync(unchecked(work), thread);
    }

    private static <T> Supplier<T> unchecked(QueueWork<T> work) {
        return () -> {
            try {
                return work.run();
            } catch (HookQueue.Unavailable e) {
                throw new CompletionException(e);
            }
        };
    }

    /**
     * Stops after writing what came in (events emitted up to now are durable) and waiting up to {@code graceMs} for
     * deliveries in flight; undelivered events stay queued for the next start.
     */
    public void close(long graceMs) {
        try {
            thread.submit(this::flush).get(10, TimeUnit.SECONDS);
            if (scan != null) {
                scan.cancel(false);
            }
            long deadline = System.currentTimeMillis() + graceMs;
            while (System.currentTimeMillis() < deadline && thread.submit(() -> inFlight).get() > 0) {
                Thread.sleep(20);
            }
        } catch (Exception e) {
            log.warn("stopping the hook service: {}", e.toString());
        }
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        queue.close();
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockFile != null) {
                lockFile.close();
            }
        } catch (IOException ignored) {
            // released with the process anyway
        }
    }

    @Override
    public void close() {
        close(2_000);
    }
}
