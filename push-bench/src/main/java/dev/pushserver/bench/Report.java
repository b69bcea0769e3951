package dev.pushserver.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Side-by-side table of JSON-line result files, grouped by the {@code server} label in each line: the first label
 * seen is the base and ratios are base / other. With several runs per server a cell shows median (min–max) and
 * ratios use medians.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Prints a Markdown table comparing result files (same scenario and options, one or more "
                + "runs per server): median (min–max) per server and the ratio of the first server to every other.")
public final class Report implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Fields that identify a point (present ones only). */
    private static final List<String> KEYS = List.of("summary", "target_connections", "subscribers", "connections",
            "group_size", "batch", "offered_rate", "offered_events_per_s", "offered_actions_per_s");

    /** Metrics worth comparing, per scenario. */
    private static final Map<String, List<String>> METRICS = Map.of(
            "connections", List.of("step_handshakes_per_s", "step_handshake_p99_ms", "server_rss_per_conn_kb",
                    "server_heap_per_conn_kb"),
            "fanout", List.of("delivered_per_s", "delivered_ratio", "latency_p50_ms", "latency_p99_ms",
                    "latency_p999_ms", "latency_max_ms", "http_p99_ms", "server_cpu_pct", "server_cpu_us_per_delivery",
                    "knee_rate", "knee_deliveries_per_s", "knee_p99_ms"),
            "many-channels", List.of("events_per_s", "delivered_per_s", "delivered_ratio", "latency_p99_ms",
                    "server_cpu_us_per_delivery"),
            "http-triggers", List.of("triggers_per_s", "events_per_s", "http_p99_ms", "delivered_ratio"),
            "client-events", List.of("ingress_events_per_s", "delivered_ratio", "latency_p99_ms"),
            "presence-churn", List.of("actions_per_s", "member_events_ratio", "latency_p99_ms", "api_mismatches"),
            "slow-consumer", List.of("delivered_ratio", "latency_p99_ms", "server_rss_peak_mb", "slow_closed",
                    "slow_delivered"),
            "webhooks", List.of("webhook_events_per_s", "delivered_ratio", "latency_p50_ms", "latency_p99_ms",
                    "latency_max_ms", "events_per_request", "server_cpu_pct", "server_cpu_us_per_event"));

    @Parameters(arity = "1..*", description = "result files (JSON lines), base first")
    public List<Path> files;

    @Override
    public Integer call() throws Exception {
        // server label -> point key -> lines (one per run)
        Map<String, Map<String, List<JsonNode>>> byServer = new LinkedHashMap<>();
        Map<String, String> scenarioOf = new LinkedHashMap<>();
        for (Path f : files) {
            for (String line : Files.readAllLines(f)) {
                if (!line.startsWith("{")) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                String label = n.path("server").asText(f.getFileName().toString());
                String key = keyOf(n);
                byServer.computeIfAbsent(label, k -> new LinkedHashMap<>())
                        .computeIfAbsent(key, k -> new ArrayList<>()).add(n);
                scenarioOf.putIfAbsent(key, n.path("scenario").asText());
            }
        }
        List<String> labels = new ArrayList<>(byServer.keySet());
        if (labels.isEmpty()) {
            System.out.println("(no results)");
            return 0;
        }
        StringBuilder head = new StringBuilder("| point | metric |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (String l : labels) {
            head.append(' ').append(l).append(" |");
            rule.append("---|");
        }
        for (int i = 1; i < labels.size(); i++) {
            head.append(' ').append(labels.get(0)).append(" / ").append(labels.get(i)).append(" |");
            rule.append("---|");
        }
        System.out.println(head);
        System.out.println(rule);
        for (Map.Entry<String, String> e : scenarioOf.entrySet()) {
            String key = e.getKey();
            for (String metric : METRICS.getOrDefault(e.getValue(), List.of())) {
                List<double[]> stats = new ArrayList<>();
                boolean any = false;
                for (String label : labels) {
                    List<Double> vals = new ArrayList<>();
                    for (JsonNode n : byServer.get(label).getOrDefault(key, List.of())) {
                        JsonNode v = n.get(metric);
                        if (v != null && v.isNumber()) {
                            vals.add(v.asDouble());
                        }
                    }
                    stats.add(minMedianMax(vals));
                    any |= !vals.isEmpty();
                }
                if (!any) {
                    continue;
                }
                StringBuilder row = new StringBuilder("| ").append(key).append(" | ").append(metric).append(" |");
                for (double[] st : stats) {
                    row.append(' ').append(format(st)).append(" |");
                }
                for (int i = 1; i < stats.size(); i++) {
                    double[] a = stats.get(0);
                    double[] b = stats.get(i);
                    String ratio = a == null || b == null || b[1] == 0 ? "-" : String.format("%.2f", a[1] / b[1]);
                    row.append(' ').append(ratio).append(" |");
                }
                System.out.println(row);
            }
        }
        return 0;
    }

    /** {min, median, max, count}, or null when there is no value. */
    private static double[] minMedianMax(List<Double> vals) {
        if (vals.isEmpty()) {
            return null;
        }
        List<Double> v = new ArrayList<>(vals);
        v.sort(null);
        int n = v.size();
        double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
        return new double[] {v.get(0), median, v.get(n - 1), n};
    }

    private static String format(double[] st) {
        if (st == null) {
            return "-";
        }
        if (st[3] == 1) {
            return num(st[1]);
        }
        return num(st[1]) + " (" + num(st[0]) + "–" + num(st[2]) + ")";
    }

    private static String num(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Math.abs(d) >= 100 ? String.format("%.0f", d) : String.format("%.3g", d);
    }

    private static String keyOf(JsonNode n) {
        StringBuilder sb = new StringBuilder(n.path("scenario").asText());
        for (String k : KEYS) {
            if (n.has(k)) {
                sb.append(' ').append(k).append('=').append(n.get(k).asText());
            }
        }
        return sb.toString();
    }
}
