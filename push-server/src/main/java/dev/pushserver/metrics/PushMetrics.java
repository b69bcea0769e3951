package dev.pushserver.metrics;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.app.PerApp;
import dev.pushserver.config.Operations;
import dev.pushserver.event.EventStream;
import dev.pushserver.hook.HookQueue;
import dev.pushserver.hook.HookService;
import dev.pushserver.redis.RedisLink;
import dev.pushserver.session.Guarded;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.ObjIntConsumer;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server's meters: a {@link PrometheusMeterRegistry} of its own (never the global one, so two servers in one JVM
 * keep their numbers apart), the per-app {@link AppMeters}, the server-wide ones, and the thread that renders scrapes
 * and pings Redis, away from the event loops.
 */
public final class PushMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PushMetrics.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Operations ops;
    private final AppRegistry apps;
    private final PerApp<AppMeters> perApp;
    /** HTTP API requests naming no known app (label app="") */
    private final AppMeters unknownApp;
    private final LongAdder[] serverLimited = AppMeters.adders(Limit.values().length);
    private final ScheduledExecutorService thread;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public PushMetrics(AppRegistry apps, Operations ops) {
        this.ops = ops;
        this.apps = apps;
        this.perApp = new PerApp<>(a -> new AppMeters(registry, a.id(), true));
        this.unknownApp = new AppMeters(registry, "", false);
        for (App app : apps.all()) {
            perApp.get(app); // every configured app shows from the start, with zeros
        }
        for (Limit l : new Limit[] {Limit.MAX_CONNECTIONS, Limit.MAX_CONNECTIONS_PER_IP,
                Limit.MAX_NEW_CONNECTIONS_PER_IP_PER_SECOND}) {
            AppMeters.counter("push.rate.limited", "Requests refused by a limit", serverLimited[l.ordinal()],
                    Tags.of("app", "", "limit", l.label), registry);
        }
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "metrics");
            t.setDaemon(true);
            return t;
        });
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
    }

    /** Metrics for embedders and tests that do not serve them: a registry of their own, nothing else. */
    public static PushMetrics unserved(AppRegistry apps) {
        return new PushMetrics(apps, Operations.DEFAULTS);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Whether {@code /metrics} is served at all. */
    public boolean enabled() {
        return ops.metricsEnabled();
    }

    /** The app's meters; resolve once and keep (per connection, per channel), then count. */
    public AppMeters app(App app) {
        return perApp.get(app);
    }

    /** Refused before an app is known: a connection guard limit (label {@code app=""}). */
    public void serverLimited(Limit limit) {
        serverLimited[limit.ordinal()].increment();
    }

    /**
     * One HTTP API request to {@code path} (decoded, without the query) on {@code route} (the API's route name, null
     * when none matched), answered with {@code status}.
     */
    public void apiRequest(String path, String route, int status, long nanos) {
        String id = ApiEndpoint.appId(path);
        App app = id == null ? null : apps.byId(id);
        AppMeters m = app == null ? unknownApp : perApp.get(app);
        m.apiRequest(app == null ? ApiEndpoint.OTHER : ApiEndpoint.of(route), status, nanos);
    }

    /** Slow-consumer closes of every app since start. */
    public long slowConsumerCloses() {
        long n = 0;
        for (AppMeters m : perApp.all()) {
            n += m.slowConsumerCloses();
        }
        return n;
    }

    // ---- gauges read at scrape time from state the server keeps anyway -------------------------------------------

    /** A gauge per configured app, read at scrape time. */
    public void appGauge(String name, String help, ToDoubleFunction<App> value) {
        for (App app : apps.all()) {
            Gauge.builder(name, () -> value.applyAsDouble(app)).description(help).tags(app(app).tags())
                    .strongReference(true).register(registry);
        }
    }

    /**
     * {@code push_subscriptions} and {@code push_channels_occupied} by app and channel type, from {@code census},
     * which reports each channel with local subscribers and its count. One census per app serves all its gauges of
     * one scrape.
     */
    public void channelCensus(BiConsumer<App, ObjIntConsumer<String>> census) {
        for (App app : apps.all()) {
            Census c = new Census(app, census);
            for (ChannelKind k : ChannelKind.ALL) {
                Tags tags = app(app).tags().and("type", k.label);
                Gauge.builder("push.subscriptions", () -> c.now()[k.ordinal()])
                        .description("Subscriptions of this node's connections, by channel type")
                        .tags(tags).strongReference(true).register(registry);
                Gauge.builder("push.channels.occupied", () -> c.now()[ChannelKind.ALL.length + k.ordinal()])
                        .description("Channels with at least one subscriber on this node, by channel type")
                        .tags(tags).strongReference(true).register(registry);
            }
        }
    }

    private static final class Census {
        final App app;
        final BiConsumer<App, ObjIntConsumer<String>> source;
        long[] last = new long[ChannelKind.ALL.length * 2];
        long takenAt;

        Census(App app, BiConsumer<App, ObjIntConsumer<String>> source) {
            this.app = app;
            this.source = source;
        }

        /** Subscriptions then channels by kind; taken again when the last one is older than 200 ms. */
        synchronized long[] now() {
            long t = System.nanoTime();
            if (takenAt != 0 && t - takenAt < 200_000_000L) {
                return last;
            }
            long[] n = new long[ChannelKind.ALL.length * 2];
            source.accept(app, (channel, count) -> {
                int k = ChannelKind.of(channel).ordinal();
                n[k] += count;
                n[ChannelKind.ALL.length + k]++;
            });
            last = n;
            takenAt = t;
            return n;
        }
    }

    /** Presence members from the event stream: it wants member added / removed only. */
    public void listen(EventStream events) {
        events.listen(new PresenceMeter(this));
    }

    /** Webhook queue depth and delivery counters, from the hook service's status (off the loops, at scrape). */
    public void hooks(HookService hooks) {
        HookSnapshot s = new HookSnapshot(hooks);
        Gauge.builder("push.webhook.queue.depth", () -> s.now().depth).description(
                "Webhook events waiting: not yet written plus queued per destination").strongReference(true)
                .register(registry);
        FunctionCounter.builder("push.webhooks.delivered", s, x -> x.now().delivered)
                .description("Webhook events delivered").register(registry);
        FunctionCounter.builder("push.webhooks.retried", s, x -> x.now().retried)
                .description("Failed webhook delivery attempts (each is retried with back-off)").register(registry);
        FunctionCounter.builder("push.webhooks.dead.lettered", s, x -> x.now().deadLettered)
                .description("Webhook events moved to the dead letters").register(registry);
        keep = s;
    }

    /** keeps the hook snapshot reachable (function counters hold their object weakly) */
    @SuppressWarnings("unused")
    private Object keep;

    private static final class HookSnapshot {
        final HookService hooks;
        long depth;
        long delivered;
        long retried;
        long deadLettered;
        long takenAt;

        HookSnapshot(HookService hooks) {
            this.hooks = hooks;
        }

        synchronized HookSnapshot now() {
            long t = System.nanoTime();
            if (takenAt != 0 && t - takenAt < 200_000_000L) {
                return this;
            }
            takenAt = t;
            try {
                HookService.Status st = hooks.status().toCompletableFuture().get(2, TimeUnit.SECONDS);
                long d = st.waitingToBeWritten();
                for (HookQueue.TargetStatus q : st.queues().values()) {
                    d += q.queued();
                }
                depth = d;
                delivered = st.delivered();
                retried = st.failedAttempts();
                deadLettered = st.deadLettered();
            } catch (Exception e) {
                log.debug("hook status for metrics: {}", e.toString()); // the last numbers stay
            }
            return this;
        }
    }

    /** Redis health (a PING every 5 s from the metrics thread, asynchronous) and its latency. */
    public void redis(RedisLink link) {
        RedisHealth h = new RedisHealth();
        Gauge.builder("push.redis.up", h, x -> x.up ? 1 : 0).description("1 when Redis answered the last PING")
                .strongReference(true).register(registry);
        Gauge.builder("push.redis.ping.seconds", h, x -> x.latencySeconds)
                .description("Round trip of the last answered PING").strongReference(true).register(registry);
        thread.scheduleWithFixedDelay(Guarded.task("redis ping", () -> h.ping(link)), 0, 5, TimeUnit.SECONDS);
    }

    private static final class RedisHealth {
        volatile boolean up;
        volatile double latencySeconds;

        void ping(RedisLink link) {
            if (!link.isConnected()) {
                up = false;
                return;
            }
            long start = System.nanoTime();
            link.state().ping().whenComplete((pong, e) -> {
                up = e == null && link.isUp();
                if (e == null) {
                    latencySeconds = (System.nanoTime() - start) / 1e9;
                }
            });
        }
    }

    // ---- the endpoint -----------------------------------------------------------------------------------------

    /** Whether a scrape with this {@code Authorization} header may read the metrics (constant-time compare). */
    public boolean authorized(String authorization) {
        String token = ops.metricsToken();
        if (token == null || token.isEmpty()) {
            return true;
        }
        byte[] want = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        byte[] got = authorization == null ? new byte[0] : authorization.getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(want, got);
    }

    /** The Prometheus text exposition, rendered on the metrics thread. */
    public CompletableFuture<String> scrape() {
        return CompletableFuture.supplyAsync(registry::scrape, thread);
    }

    @Override
    public void close() {
        thread.shutdownNow();
        gc.close();
        registry.close();
    }
}
