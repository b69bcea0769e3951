package dev.pushserver.metrics;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** One GET of /metrics as Prometheus would do it, and the samples of its text exposition. */
public record Scrape(int status, String contentType, String body) {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static Scrape get(int port) {
        return get(port, "/metrics", null);
    }

    public static Scrape get(int port, String path, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Scrape(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
        } catch (Exception e) {
            throw new AssertionError("GET " + path + " on port " + port + " failed: " + e, e);
        }
    }

    /**
     * The sum of the samples of {@code name} whose labels include each {@code label=value} pair given (as
     * {@code "app", "app-1", "type", "public"}); 0 when there is none.
     */
    public double value(String name, String... labels) {
        double sum = 0;
        for (String line : lines(name, labels)) {
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return sum;
    }

    /** Whether at least one sample of {@code name} with these labels is there. */
    public boolean has(String name, String... labels) {
        return !lines(name, labels).isEmpty();
    }

    private List<String> lines(String name, String... labels) {
        List<String> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String metric = brace >= 0 ? line.substring(0, brace) : line.substring(0, space);
            if (!metric.equals(name)) {
                continue;
            }
            String labelText = brace >= 0 ? line.substring(brace, line.lastIndexOf('}') + 1) : "";
            boolean all = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                String pair = labels[i] + "=\"" + labels[i + 1] + "\"";
                if (!labelText.contains("{" + pair) && !labelText.contains("," + pair)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                out.add(line);
            }
        }
        return out;
    }
}
