package dev.pushserver.bench.scenario;

import dev.pushserver.bench.core.ControlApi;
import dev.pushserver.bench.core.HttpPublisher;
import dev.pushserver.bench.core.Payload;
import dev.pushserver.bench.core.Phase;
import dev.pushserver.bench.core.Result;
import dev.pushserver.bench.core.WebhookReceiver;
import dev.pushserver.bench.core.WsConn;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "webhooks", mixinStandardHelpOptions = true,
        description = {
            "The webhook path end to end: events published through the HTTP API at fixed offered rates (open loop; "
                    + "POST /events, or POST /batch_events with --batch n) come back as server_event webhooks to a "
                    + "receiver this command runs itself (HTTP on --webhook-host:--webhook-port, path "
                    + "--webhook-path, answering 200 {} to every POST at once). Each event's data carries its "
                    + "scheduled send time and a sequence number per HTTP connection, so the receiver measures "
                    + "latency (scheduled trigger -> webhook request received), webhook events/s, requests/s, "
                    + "events per request, lost (expected = events whose trigger was answered 200), duplicates and "
                    + "reordering. No subscribers: a server_event webhook fires whether anyone listens or not. One "
                    + "JSON line per (batch, rate) point.",
            "",
            "Start the server with a webhook to the receiver for server_event, e.g. push-server with "
                    + "--config hooks.yaml:",
            "",
            "  data_dir: /tmp/hookbench-data",
            "  webhook_batch_max: 100",
            "  apps:",
            "    - id: app-id",
            "      key: app-key",
            "      secret: app-secret",
            "      webhooks:",
            "        - url: http://127.0.0.1:17700/webhook",
            "          event_types: [server_event]",
            "",
            "Before the first point one probe event must arrive within --probe-timeout, or the command stops "
                    + "with the URL the server should post to. Events left in the server's queue by an earlier run "
                    + "(delivered first, in order) are counted as foreign, not as this run's. lost counts what had "
                    + "not arrived --drain-max seconds after the last trigger; still_arriving says the webhooks were "
                    + "still coming then (a backlog rather than a loss). latency_* counts from the scheduled send time, "
                    + "latency_from_send_* from the moment the trigger left the generator (without the time it "
                    + "queued there when the API was slow); turnaround_* is the time from the receiver's answer to "
                    + "the next webhook request (with a backlog: the server's own time per batch). "
                    + "server_cpu_us_per_event covers the whole path in the server (API request, queue write, "
                    + "webhook request).",
            ""})
public final class Webhooks extends ScenarioBase {

    @Option(names = "--rates", description = "offered events per second, comma-separated (default ${DEFAULT-VALUE})")
    public String rates = "500,2000,5000";

    @Option(names = "--batch", description = "events per request: 0 = POST /events (one event each), n = POST "
            + "/batch_events with n events; comma-separated runs each (default ${DEFAULT-VALUE})")
    public String batches = "0";

    @Option(names = "--http-conns", description = "keep-alive HTTP connections sending triggers, one request in "
            + "flight on each (default ${DEFAULT-VALUE})")
    public int httpConns = 8;

    @Option(names = "--channel", description = "channel of the events (default ${DEFAULT-VALUE})")
    public String channel = "bench-hook";

    @Option(names = "--event", description = "event name (default ${DEFAULT-VALUE})")
    public String event = "bench-hook";

    @Option(names = "--webhook-host", description = "address the receiver listens on (default ${DEFAULT-VALUE})")
    public String webhookHost = "127.0.0.1";

    @Option(names = "--webhook-port", description = "port the receiver listens on (default ${DEFAULT-VALUE})")
    public int webhookPort = 17700;

    @Option(names = "--webhook-path", description = "path the receiver answers (default ${DEFAULT-VALUE})")
    public String webhookPath = "/webhook";

    @Option(names = "--verify", negatable = true, description = "check X-Pusher-Key and X-Pusher-Signature of every "
            + "webhook request (counted in bad_keys / bad_signatures; default ${DEFAULT-VALUE})")
    public boolean verify = true;

    @Option(names = "--probe-timeout", description = "seconds the probe event may take to arrive "
            + "(default ${DEFAULT-VALUE})")
    public double probeTimeout = 15;

    @Override
    protected String name() {
        return "webhooks";
    }

    @Override
    protected void run() throws Exception {
        Phase phase = new Phase();
        int tag = ThreadLocalRandom.current().nextInt(1, 1_000_000_000);
        try (WebhookReceiver receiver = new WebhookReceiver(webhookHost, webhookPort, webhookPath,
                verify ? target.key : null, verify ? target.secret : null, phase, httpConns, tag, !target.noEpoll);
                HttpPublisher pub = new HttpPublisher(target, httpConns, 1)) {
            double probeMs = probe(receiver, tag);
            long staleAtStart = receiver.foreignTotal();
            int point = 0;
            for (int batch : parseInts(batches)) {
                HookTriggers triggers = new HookTriggers(target.appId, channel, event, httpConns, payload, batch, tag,
                        phase);
                pub.factory(triggers);
                int perRequest = Math.max(1, batch);
                for (double rate : parseRates(rates)) {
                    Result r = target.result(name());
                    r.put("batch", batch).put("http_conns", httpConns).put("payload", payload)
                            .put("offered_events_per_s", rate);
                    runPoint(r, receiver, pub, triggers, phase, point++, rate, perRequest);
                    r.put("probe_ms", probeMs);
                    if (staleAtStart > 0) {
                        r.put("foreign_before_start", staleAtStart);
                    }
                    target.emit(r);
                }
            }
        }
    }

    /** Sends one event and waits for its webhook: checks the server is configured, returns its latency in ms. */
    private double probe(WebhookReceiver receiver, int tag) throws Exception {
        ControlApi api = new ControlApi(target);
        long sent = System.nanoTime();
        StringBuilder body = new StringBuilder("{\"name\":");
        WsConn.quote(body, event);
        body.append(",\"channels\":[");
        WsConn.quote(body, channel);
        body.append("],\"data\":\"")
                .append(Payload.data(WebhookReceiver.PROBE_POINT, tag, 0, 0, sent, payload)).append("\"}");
        api.post("/apps/" + target.appId + "/events", body.toString());
        long deadline = sent + nanos(probeTimeout);
        long foreignSeen = 0;
        while (receiver.probeArrival() == 0) {
            long foreign = receiver.foreignTotal();
            if (foreign > foreignSeen) {
                // the server is still delivering what an earlier run left queued; the probe comes after it
                foreignSeen = foreign;
                deadline = System.nanoTime() + nanos(probeTimeout);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no webhook came to " + receiver.url() + " within " + probeTimeout
                        + " s of a trigger (" + receiver.foreignTotal() + " events of earlier runs came): start the "
                        + "server with a webhook to that URL for event type server_event (see webhooks --help)");
            }
            Thread.sleep(10);
        }
        return (receiver.probeArrival() - sent) / 1e6;
    }

    private void runPoint(Result r, WebhookReceiver receiver, HttpPublisher pub, HookTriggers triggers, Phase phase,
            int point, double eventsPerSecond, int perRequest) throws Exception {
        triggers.reset();
        long start = System.nanoTime() + 100_000_000L;
        long windowStart = start + nanos(warmup);
        long end = windowStart + nanos(duration);
        // the phase names the new point first: what the old one still delivers from now on is a straggler
        phase.set(point, windowStart, end);
        receiver.resetPoint();
        Meter meter = new Meter();
        long drainMs = (long) (drainMax * 1000);
        HttpPublisher.PointStats hs = pub.run(eventsPerSecond / perRequest, start, windowStart, end, drainMs)
                .get((long) (warmup + duration + drainMax + 30), TimeUnit.SECONDS);
        long expected = pub.okTotal();
        long drainStart = System.nanoTime();
        while (receiver.uniqueSoFar() < expected && System.nanoTime() - drainStart < drainMs * 1_000_000L) {
            Thread.sleep(20);
        }
        long waited = (System.nanoTime() - drainStart) / 1_000_000L;
        WebhookReceiver.Stats s = receiver.stats();
        long statsAt = System.nanoTime();
        double cpu = meter.stop(r);
        double window = hs.windowSeconds();
        putHttp(r, hs);
        r.put("expected", expected);
        r.put("delivered", s.unique());
        r.put("delivered_ratio", expected == 0 ? 1.0 : (double) s.unique() / expected);
        r.put("lost", Math.max(0, expected - s.unique()));
        r.put("duplicates", s.duplicates());
        r.put("reordered", s.reordered());
        r.put("unexpected", Math.max(0, s.unique() - expected));
        r.put("webhook_events_per_s", window > 0 ? s.arrivedInWindow() / window : 0);
        r.put("webhook_requests_per_s", window > 0 ? s.requestsInWindow() / window : 0);
        r.put("webhook_requests", s.requests());
        r.put("events_per_request", s.requests() == 0 ? 0 : (double) s.events() / s.requests());
        r.put("events_per_request_max", s.maxEventsPerRequest());
        r.put("webhook_kb", s.bytes() / 1024.0);
        r.latency("latency", s.latency());
        // from the moment the trigger left the generator: without the time it queued there (open loop)
        r.put("latency_from_send_p50_ms", ms(s.fromSend(), 50));
        r.put("latency_from_send_p99_ms", ms(s.fromSend(), 99));
        r.put("latency_from_send_max_ms", s.fromSend().getTotalCount() == 0 ? 0
                : s.fromSend().getMaxValue() / 1000.0);
        // from an answer of the receiver to the next webhook request (with a backlog: the server's time per batch)
        r.put("turnaround_p50_ms", ms(s.turnaround(), 50));
        r.put("turnaround_p99_ms", ms(s.turnaround(), 99));
        r.put("turnaround_max_ms", s.turnaround().getTotalCount() == 0 ? 0 : s.turnaround().getMaxValue() / 1000.0);
        // share of one core the receiver spent handling requests over the point (it must not be the bottleneck)
        r.put("receiver_busy_pct", s.busyNanos() * 100.0 / Math.max(1, statsAt - start));
        r.put("stragglers", s.stragglers());
        r.put("foreign", s.foreign());
        r.put("other_events", s.otherEvents());
        r.put("bad_keys", s.badKeys());
        r.put("bad_signatures", s.badSignatures());
        r.put("receiver_other_requests", s.otherRequests());
        r.put("server_cpu_us_per_event", s.unique() > 0 && cpu >= 0 ? cpu / s.unique() : -1);
        r.put("gen_cpu_us_per_event", s.unique() > 0 && meter.genMicros() >= 0 ? meter.genMicros() / s.unique()
                : -1);
        r.put("drain_ms", waited);
        r.put("still_arriving", expected > s.unique() && s.lastArrivalNanos() > statsAt - 1_000_000_000L);
        // how long after the last scheduled send the last webhook of the point came (a backlog shows here)
        r.put("last_webhook_after_end_ms", s.lastArrivalNanos() == 0 ? -1 : (s.lastArrivalNanos() - end) / 1e6);
    }

    private static double ms(org.HdrHistogram.Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    /**
     * Request bodies for POST /events or POST /batch_events ({@code batch} events per request), all to one channel.
     * Every event's data is {@link Payload} with the run's tag in its channel field and a sequence number per
     * stream (HTTP connection): the server keeps a webhook's events in order, so each stream's numbers must arrive
     * in order.
     */
    static final class HookTriggers implements HttpPublisher.Factory {
        private static final int[] ONE = {0};

        private final String eventsPath;
        private final String batchPath;
        private final String prefix;
        private final long[] seq;
        private final int payload;
        private final int batch;
        private final int tag;
        private final Phase phase;
        private final int[] chans;

        HookTriggers(String appId, String channel, String event, int streams, int payload, int batch, int tag,
                Phase phase) {
            this.eventsPath = "/apps/" + appId + "/events";
            this.batchPath = "/apps/" + appId + "/batch_events";
            StringBuilder sb = new StringBuilder("{\"name\":");
            WsConn.quote(sb, event);
            sb.append(batch <= 0 ? ",\"channels\":[" : ",\"channel\":");
            WsConn.quote(sb, channel);
            sb.append(batch <= 0 ? "],\"data\":\"" : ",\"data\":\"");
            this.prefix = sb.toString();
            this.seq = new long[streams];
            this.payload = payload;
            this.batch = batch;
            this.tag = tag;
            this.phase = phase;
            this.chans = new int[Math.max(1, batch)]; // every event is on benchmark channel 0
        }

        /** Restarts every sequence; call before a point, while the publisher is idle. */
        void reset() {
            java.util.Arrays.fill(seq, 0);
        }

        @Override
        public HttpPublisher.Req build(int stream, long intendedNanos) {
            int point = phase.point();
            if (batch <= 0) {
                StringBuilder sb = new StringBuilder(payload + 96);
                data(sb.append(prefix), point, stream, intendedNanos).append("\"}");
                return new HttpPublisher.Req(eventsPath, sb.toString().getBytes(StandardCharsets.UTF_8), ONE);
            }
            StringBuilder sb = new StringBuilder(batch * (payload + 80) + 16);
            sb.append("{\"batch\":[");
            for (int i = 0; i < batch; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                data(sb.append(prefix), point, stream, intendedNanos).append("\"}");
            }
            sb.append("]}");
            return new HttpPublisher.Req(batchPath, sb.toString().getBytes(StandardCharsets.UTF_8), chans);
        }

        /**
         * {@link Payload}'s fields, then {@code S<now>;}: the publisher builds a request when it sends it, so this is
         * the actual send time (later than the scheduled one when the requests queue in the generator); padded to
         * the payload size.
         */
        private StringBuilder data(StringBuilder sb, int point, int stream, long intendedNanos) {
            int from = sb.length();
            sb.append(Payload.data(point, tag, stream, seq[stream]++, intendedNanos, 0)).append('S')
                    .append(System.nanoTime()).append(';');
            while (sb.length() - from < payload) {
                sb.append('x');
            }
            return sb;
        }
    }
}
