package dev.pushserver.bench.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/** One JSON line of results: fields in insertion order, printed to stdout and appended to the --out file. */
public final class Result {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile Consumer<Result> sink;

    private final Map<String, Object> fields = new LinkedHashMap<>();

    public Result(String scenario) {
        fields.put("scenario", scenario);
    }

    /** Test hook: every emitted result is also handed to {@code s}. */
    public static void sink(Consumer<Result> s) {
        sink = s;
    }

    public Result put(String key, Object value) {
        if (value instanceof Double d) {
            value = round(d);
        }
        fields.put(key, value);
        return this;
    }

    public Object get(String key) {
        return fields.get(key);
    }

    public Map<String, Object> fields() {
        return fields;
    }

    public static double round(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return -1;
        }
        double a = Math.abs(d);
        double scale = a >= 100 ? 10 : a >= 1 ? 1000 : 100000;
        return Math.round(d * scale) / scale;
    }

    /** p50 / p99 / p999 / max in milliseconds under {@code prefix}, from a histogram in microseconds. */
    public Result latency(String prefix, Histogram h) {
        if (h == null || h.getTotalCount() == 0) {
            put(prefix + "_count", 0L);
            return this;
        }
        put(prefix + "_count", h.getTotalCount());
        put(prefix + "_p50_ms", h.getValueAtPercentile(50) / 1000.0);
        put(prefix + "_p99_ms", h.getValueAtPercentile(99) / 1000.0);
        put(prefix + "_p999_ms", h.getValueAtPercentile(99.9) / 1000.0);
        put(prefix + "_max_ms", h.getMaxValue() / 1000.0);
        return this;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void emit(PrintStream out, Path file) {
        String line = toJson();
        synchronized (Result.class) {
            out.println(line);
            out.flush();
            if (file != null) {
                try {
                    Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                } catch (IOException e) {
                    System.err.println("cannot append to " + file + ": " + e.getMessage());
                }
            }
        }
        Consumer<Result> s = sink;
        if (s != null) {
            s.accept(this);
        }
    }
}
