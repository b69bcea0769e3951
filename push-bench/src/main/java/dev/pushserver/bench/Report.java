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

/** Side-by-side table of JSON-line result files: the first file is the base, ratios are base / other. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Prints a Markdown table comparing result files (one per server, same scenario and options): "
                + "each metric per server and the ratio of the first file to every other.")
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
                    "server_cpu_us_per_delivery", "knee_rate", "knee_p99_ms"),
            "many-channels", List.of("events_per_s", "delivered_per_s", "delivered_ratio", "latency_p99_ms",
                    "server_cpu_us_per_delivery"),
            "http-triggers", List.of("triggers_per_s", "events_per_s", "http_p99_ms", "delivered_ratio"),
            "client-events", List.of("ingress_events_per_s", "delivered_ratio", "latency_p99_ms"),
            "presence-churn", List.of("actions_per_s", "member_events_ratio", "latency_p99_ms", "api_mismatches"),
            "slow-consumer", List.of("delivered_ratio", "latency_p99_ms", "server_rss_peak_mb", "slow_closed"));

    @Parameters(arity = "1..*", description = "result files (JSON lines), base first")
    public List<Path> files;

    @Override
    public Integer call() throws Exception {
        List<String> labels = new ArrayList<>();
        List<Map<String, JsonNode>> byKey = new ArrayList<>();
        Map<String, String> scenarioOf = new LinkedHashMap<>();
        for (Path f : files) {
            Map<String, JsonNode> m = new LinkedHashMap<>();
            String label = f.getFileName().toString();
            for (String line : Files.readAllLines(f)) {
                if (!line.startsWith("{")) {
                    continue;
                }
                JsonNode n = JSON.readTree(line);
                label = n.path("server").asText(label);
                String key = keyOf(n);
                m.put(key, n);
                scenarioOf.putIfAbsent(key, n.path("scenario").asText());
            }
            labels.add(label);
            byKey.add(m);
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
                List<JsonNode> vals = new ArrayList<>();
                boolean any = false;
                for (Map<String, JsonNode> m : byKey) {
                    JsonNode n = m.get(key);
                    JsonNode v = n == null ? null : n.get(metric);
                    vals.add(v);
                    any |= v != null;
                }
                if (!any) {
                    continue;
                }
                StringBuilder row = new StringBuilder("| ").append(key).append(" | ").append(metric).append(" |");
                for (JsonNode v : vals) {
                    row.append(' ').append(v == null ? "-" : v.asText()).append(" |");
                }
                for (int i = 1; i < vals.size(); i++) {
                    JsonNode a = vals.get(0);
                    JsonNode b = vals.get(i);
                    String ratio = "-";
                    if (a != null && b != null && a.isNumber() && b.isNumber() && b.asDouble() != 0) {
                        ratio = String.format("%.2f", a.asDouble() / b.asDouble());
                    }
                    row.append(' ').append(ratio).append(" |");
                }
                System.out.println(row);
            }
        }
        return 0;
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
