package dev.pushserver.bench.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** CPU and memory of a process from /proc, machine load, and (for a JVM) heap after a full GC through jcmd. */
public final class ProcStats {

    /** USER_HZ; 100 on every Linux this runs on ({@code getconf CLK_TCK}). */
    private static final double TICK_NANOS = 1e9 / 100;
    private static final Pattern USED = Pattern.compile("\\btotal \\d+[KMG], used (\\d+)([KMG])");
    private static final Pattern ZUSED = Pattern.compile("^\\s*ZHeap\\s+used (\\d+)([KMG])");

    private ProcStats() {
    }

    /** A point-in-time reading: CPU ticks (user+system), resident set size, wall clock. */
    public record Sample(long pid, long cpuTicks, long rssBytes, long nanos, long machineBusy, long machineTotal) {

        /** CPU used between {@code earlier} and this sample, in percent of one core. */
        public double cpuPercentSince(Sample earlier) {
            if (earlier == null || cpuTicks < 0 || earlier.cpuTicks < 0 || nanos <= earlier.nanos) {
                return -1;
            }
            return (cpuTicks - earlier.cpuTicks) * TICK_NANOS * 100.0 / (nanos - earlier.nanos);
        }

        /** CPU microseconds used between {@code earlier} and this sample. */
        public double cpuMicrosSince(Sample earlier) {
            if (earlier == null || cpuTicks < 0 || earlier.cpuTicks < 0) {
                return -1;
            }
            return (cpuTicks - earlier.cpuTicks) * TICK_NANOS / 1000.0;
        }

        /** Whole-machine busy share (all cores) between the samples, in percent. */
        public double machineBusyPercentSince(Sample earlier) {
            long total = machineTotal - earlier.machineTotal;
            return total <= 0 ? -1 : (machineBusy - earlier.machineBusy) * 100.0 / total;
        }
    }

    public static Sample self() {
        return sample(ProcessHandle.current().pid());
    }

    /** Reads /proc/PID; a pid of 0 or a missing process gives -1 fields. */
    public static Sample sample(long pid) {
        long ticks = -1;
        long rss = -1;
        if (pid > 0) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
                // fields after the ")" that closes the command name: state is field 3, utime 14, stime 15
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                String[] statm = Files.readString(Path.of("/proc/" + pid + "/statm")).trim().split(" ");
                rss = Long.parseLong(statm[1]) * 4096L;
            } catch (IOException | RuntimeException e) {
                ticks = -1;
            }
        }
        long busy = -1;
        long total = -1;
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            long t = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                t += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            total = t;
            busy = t - idle;
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return new Sample(pid, ticks, rss, System.nanoTime(), busy, total);
    }

    /**
     * Several processes read as one (the nodes of a cluster): CPU ticks and RSS summed, -1 when any of them cannot
     * be read; the machine figures and the pid are those of the first. No pid at all reads as pid 0.
     */
    public static Sample sample(long[] pids) {
        if (pids == null || pids.length == 0) {
            return sample(0L);
        }
        Sample first = sample(pids[0]);
        long ticks = first.cpuTicks();
        long rss = first.rssBytes();
        for (int i = 1; i < pids.length; i++) {
            Sample s = sample(pids[i]);
            ticks = ticks < 0 || s.cpuTicks() < 0 ? -1 : ticks + s.cpuTicks();
            rss = rss < 0 || s.rssBytes() < 0 ? -1 : rss + s.rssBytes();
        }
        return new Sample(pids[0], ticks, rss, first.nanos(), first.machineBusy(), first.machineTotal());
    }

    /** Every pid is a JVM (and there is at least one). */
    public static boolean isJvm(long[] pids) {
        if (pids == null || pids.length == 0) {
            return false;
        }
        for (long pid : pids) {
            if (!isJvm(pid)) {
                return false;
            }
        }
        return true;
    }

    /** {@link #heapUsedAfterGc(long)} summed over several JVMs, -1 when any cannot be read. */
    public static long heapUsedAfterGc(long[] pids) {
        if (pids == null || pids.length == 0) {
            return -1;
        }
        long sum = 0;
        for (long pid : pids) {
            long h = heapUsedAfterGc(pid);
            if (h < 0) {
                return -1;
            }
            sum += h;
        }
        return sum;
    }

    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    public static boolean isJvm(long pid) {
        if (pid <= 0) {
            return false;
        }
        try {
            String cmd = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
            String exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).getFileName().toString();
            return exe.equals("java") || cmd.startsWith("java ") || cmd.contains("/java ");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Runs {@code jcmd PID GC.run} then {@code jcmd PID GC.heap_info} and returns the used heap in bytes, or -1.
     * Metaspace is not counted.
     */
    public static long heapUsedAfterGc(long pid) {
        if (pid <= 0) {
            return -1;
        }
        String jcmd = jcmdPath();
        if (run(List.of(jcmd, Long.toString(pid), "GC.run")) == null) {
            return -1;
        }
        String info = run(List.of(jcmd, Long.toString(pid), "GC.heap_info"));
        return info == null ? -1 : parseHeapUsed(info);
    }

    static long parseHeapUsed(String info) {
        long sum = 0;
        boolean found = false;
        for (String line : info.split("\n")) {
            String trimmed = line.trim();
            if (trimmed.startsWith("Metaspace") || trimmed.startsWith("class space")) {
                break;
            }
            Matcher m = USED.matcher(line);
            if (m.find() && !line.startsWith("  ")) {
                sum += bytes(m.group(1), m.group(2));
                found = true;
                continue;
            }
            Matcher z = ZUSED.matcher(line);
            if (z.find()) {
                sum += bytes(z.group(1), z.group(2));
                found = true;
            }
        }
        return found ? sum : -1;
    }

    private static long bytes(String n, String unit) {
        long v = Long.parseLong(n);
        return switch (unit) {
            case "K" -> v * 1024;
            case "M" -> v * 1024 * 1024;
            default -> v * 1024 * 1024 * 1024;
        };
    }

    private static String jcmdPath() {
        Path p = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return Files.isExecutable(p) ? p.toString() : "jcmd";
    }

    private static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
