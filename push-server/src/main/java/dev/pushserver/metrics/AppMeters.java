package dev.pushserver.metrics;

import dev.pushserver.app.App;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One app's meters, resolved once (per connection, per local channel) so that counting is a {@link LongAdder}
 * increment: no lookup, no lock and no allocation on the fan-out path or per frame. The registry reads the adders at
 * scrape time.
 */
public final class AppMeters {

    /** Latency buckets of the HTTP API histogram (Prometheus {@code le}, seconds). */
    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5)};

    private final MeterRegistry registry;
    private final Tags tags;

    private final LongAdder opened = new LongAdder();
    private final LongAdder messagesIn = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder messagesOut = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder deliveries = new LongAdder();
    private final LongAdder clientEvents = new LongAdder();
    private final LongAdder slowConsumers = new LongAdder();
    private final LongAdder presenceMembers = new LongAdder();
    private final LongAdder[] rejected = adders(ClientEventRejection.values().length);
    private final LongAdder[] limited = adders(Limit.values().length);
    private final ConcurrentHashMap<Integer, LongAdder> closed = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Timer> requests = new ConcurrentHashMap<>();

    /** {@code full}: register every meter now (a configured app); else only HTTP API timers, at first use */
    AppMeters(MeterRegistry registry, String appId, boolean full) {
        this.registry = registry;
        this.tags = Tags.of("app", appId);
        if (!full) {
            return;
        }
        counter("push.connections.opened", "WebSocket connections admitted", opened, tags);
        counter("push.messages.in", "Text messages received from clients", messagesIn, tags);
        counter("push.messages.in.bytes", "Payload bytes of the messages received from clients", bytesIn, tags);
        counter("push.messages.out", "Messages sent to clients (replies and fan-out deliveries)", messagesOut, tags);
        counter("push.messages.out.bytes", "Payload bytes of the messages sent to clients", bytesOut, tags);
        counter("push.fanout.deliveries", "Published messages written to local subscribers", deliveries, tags);
        counter("push.client.events", "Client events accepted and published", clientEvents, tags);
        counter("push.slow.consumer.closes", "Connections closed with 4100 because they did not read their messages",
                slowConsumers, tags);
        for (ClientEventRejection r : ClientEventRejection.values()) {
            counter("push.client.events.rejected", "Client events refused, by reason", rejected[r.ordinal()],
                    tags.and("reason", r.label));
        }
        for (Limit l : Limit.values()) {
            if (l == Limit.MAX_CONNECTIONS_PER_IP || l == Limit.MAX_NEW_CONNECTIONS_PER_IP_PER_SECOND) {
                continue; // server-wide only (app="")
            }
            counter("push.rate.limited", "Requests refused by a limit", limited[l.ordinal()],
                    tags.and("limit", l.label));
        }
        io.micrometer.core.instrument.Gauge.builder("push.presence.members", presenceMembers, LongAdder::sum)
                .description("Presence members (a user counts once per channel) whose join this node decided, "
                        + "minus those whose leave it decided: sum over the nodes of a cluster")
                .tags(tags).strongReference(true).register(registry);
    }

    static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    static void counter(String name, String help, LongAdder adder, Tags tags, MeterRegistry registry) {
        FunctionCounter.builder(name, adder, LongAdder::sum).description(help).tags(tags).register(registry);
    }

    private void counter(String name, String help, LongAdder adder, Tags tags) {
        counter(name, help, adder, tags, registry);
    }

    Tags tags() {
        return tags;
    }

    // ---- what the server counts ------------------------------------------------------------------------------

    public void connectionOpened() {
        opened.increment();
    }

    /**
     * A connection of this app has gone; {@code code} is the WebSocket close code the server sent or the client
     * sent first, 1006 when the TCP connection just went. Codes outside 1000-1015 and 4000-4399 count as 0.
     */
    public void connectionClosed(int code) {
        int c = (code >= 1000 && code <= 1015) || (code >= 4000 && code <= 4399) ? code : 0;
        LongAdder a = closed.get(c);
        if (a == null) {
            a = closed.computeIfAbsent(c, k -> {
                LongAdder n = new LongAdder();
                counter("push.connections.closed", "WebSocket connections closed, by close code", n,
                        tags.and("code", k == 0 ? "other" : Integer.toString(k)));
                return n;
            });
        }
        a.increment();
    }

    public void messageIn(int bytes) {
        messagesIn.increment();
        bytesIn.add(bytes);
    }

    public void messageOut(int bytes) {
        messagesOut.increment();
        bytesOut.add(bytes);
    }

    /** {@code n} subscribers were written one published message of {@code bytes}: call once per publication. */
    public void delivered(int n, int bytes) {
        if (n > 0) {
            deliveries.add(n);
            messagesOut.add(n);
            bytesOut.add((long) n * bytes);
        }
    }

    public void clientEvent() {
        clientEvents.increment();
    }

    public void clientEventRejected(ClientEventRejection why) {
        rejected[why.ordinal()].increment();
    }

    /**
     * Something of this app was refused by {@code limit}. The HTTP API's backend limits call this with
     * {@link Limit#BACKEND_EVENTS} or {@link Limit#READ_REQUESTS} when they answer 429.
     */
    public void rateLimited(Limit limit) {
        limited[limit.ordinal()].increment();
    }

    public void slowConsumerClosed() {
        slowConsumers.increment();
    }

    long slowConsumerCloses() {
        return slowConsumers.sum();
    }

    void presenceMember(int delta) {
        presenceMembers.add(delta);
    }

    /** One HTTP API request of this app, answered with {@code status} after {@code nanos}. */
    public void apiRequest(ApiEndpoint endpoint, int status, long nanos) {
        int key = endpoint.ordinal() << 10 | (status & 0x3ff);
        Timer t = requests.get(key);
        if (t == null) {
            t = requests.computeIfAbsent(key, k -> Timer.builder("push.http.requests")
                    .description("HTTP API requests, by endpoint and status")
                    .tags(tags.and("endpoint", endpoint.label, "status", Integer.toString(status)))
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .register(registry));
        }
        t.record(nanos, TimeUnit.NANOSECONDS);
    }
}
