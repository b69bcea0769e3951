package dev.pushserver.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assertions;

/**
 * What every attack test checks afterwards: the server still serves a normal client, and the memory it holds did not
 * grow with the attack. The server runs in the test JVM, so memory is measured in-process.
 */
final class Hardening {

    /**
     * How much more memory (heap after full GCs + Netty direct memory) the process may hold after an attack than
     * before it. The attacks are sized so that the unprotected server grows by several hundred MB (a multiple of
     * this); a protected one holds at most a few max_outbound_buffer-sized buffers per attacking connection, a few
     * more pooled-allocator chunks (4 MiB each, one set per event loop arena) and GC noise, well below it.
     */
    static final long MEMORY_MARGIN_BYTES = 64L * 1024 * 1024;

    /** Time a normal client may take, in all, to connect, subscribe, and get an event triggered over HTTP. */
    static final Duration RESPONSIVE_WITHIN = Duration.ofSeconds(10);

    private static final AtomicInteger SEQ = new AtomicInteger();

    private Hardening() {
    }

    static String unique(String prefix) {
        return prefix + "-" + SEQ.incrementAndGet();
    }

    // ---- memory ---------------------------------------------------------------------------------------------------

    /**
     * Heap used after two full GCs, plus Netty's direct memory. Netty's own counter
     * ({@code PlatformDependent.usedDirectMemory()}, -1 when Netty does not count) already includes what the pooled
     * allocator took for its arenas (its chunks are allocated through the same counted, cleaner-less path: both read
     * e.g. 260.0 / 260.1 MB after the row-3 attack on the unprotected server), so the two are not added up, which would
     * count every pooled chunk twice: the larger of the two is used, or the pooled figure alone when Netty does not
     * count.
     */
    record Memory(long heap, long pooledDirect, long nettyDirect) {

        long direct() {
            return nettyDirect < 0 ? pooledDirect : Math.max(pooledDirect, nettyDirect);
        }

        long total() {
            return heap + direct();
        }

        @Override
        public String toString() {
            return String.format("%s (heap %s, pooled direct %s, netty direct %s)", Flood.mb(total()), Flood.mb(heap),
                    Flood.mb(pooledDirect), nettyDirect < 0 ? "n/a" : Flood.mb(nettyDirect));
        }
    }

    static Memory memory() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long pooled = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        long netty = PlatformDependent.usedDirectMemory();
        return new Memory(heap, pooled, netty);
    }

    /** Asserts (and reports) that memory grew by less than {@link #MEMORY_MARGIN_BYTES} since {@code before}. */
    static Memory assertMemoryBounded(String test, Memory before) {
        Memory after = memory();
        long growth = after.total() - before.total();
        report(test, "memory before " + before + ", after " + after + ", growth " + Flood.mb(growth));
        assertThat(growth).as("%s: memory growth over the attack (before %s, after %s); margin %s", test, before, after,
                Flood.mb(MEMORY_MARGIN_BYTES)).isLessThan(MEMORY_MARGIN_BYTES);
        return after;
    }

    /** A line in the test output (target/surefire-reports/*-output.txt), to read what a run showed. */
    static void report(String test, String what) {
        System.out.println("[hardening]" + (HardeningYaml.legacy() ? "[legacy]" : "") + " " + test + ": " + what);
    }

    // ---- a normal client ------------------------------------------------------------------------------------------

    /**
     * A normal client is served: {@code GET /health} answers 200, a WebSocket gets
     * {@code pusher:connection_established}, subscribes to a public channel, a signed HTTP trigger is answered 200
     * and the event arrives; all within {@link #RESPONSIVE_WITHIN}.
     */
    static void assertResponsive(String test, TestServer server) {
        long start = System.nanoTime();
        Assertions.assertTimeoutPreemptively(RESPONSIVE_WITHIN, () -> {
            RawHttp.Response health = RawHttp.get(server.apiPort(), "/health");
            assertThat(health.status()).as("GET /health: %s", health).isEqualTo(200);
            try (RawClient c = RawClient.connect(server.wsUrl("key-1"))) {
                assertThat(c.socketId()).matches("^\\d+\\.\\d+$");
                String channel = unique("responsive");
                c.send(Messages.subscribe(channel));
                JsonNode ok = c.nextEvent("pusher_internal:subscription_succeeded");
                assertThat(ok.path("channel").asText()).isEqualTo(channel);
                String marker = UUID.randomUUID().toString();
                RawHttp.Response r = trigger(server, channel, "probe", marker);
                assertThat(r.status()).as("signed trigger: %s", r).isEqualTo(200);
                JsonNode event = c.nextEvent("probe");
                assertThat(event.path("data").asText()).isEqualTo(marker);
            }
        }, () -> "a normal client was not served within " + RESPONSIVE_WITHIN.toSeconds() + " s");
        report(test, "normal client served in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    /**
     * Collects failed checks so that a test reports everything it measured (responsiveness, memory, the attack's
     * outcome) before failing, instead of stopping at the first.
     */
    static final class Checks {

        private final String test;
        private final java.util.List<Throwable> failures = new java.util.ArrayList<>();

        Checks(String test) {
            this.test = test;
        }

        void check(String what, ThrowingRunnable r) {
            try {
                r.run();
            } catch (Throwable t) {
                if (t instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                String m = String.valueOf(t.getMessage());
                report(test, "FAILED " + what + ": " + (m.length() > 600 ? m.substring(0, 600) + "..." : m));
                failures.add(t);
            }
        }

        void verify() {
            if (failures.size() == 1 && failures.get(0) instanceof AssertionError a) {
                throw a;
            }
            if (!failures.isEmpty()) {
                throw new org.opentest4j.MultipleFailuresError(test, failures);
            }
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Throwable;
    }

    /** Signed {@code POST /apps/app-1/events} with one channel, on its own connection. */
    static RawHttp.Response trigger(TestServer server, String channel, String name, String data) throws Exception {
        String body = SignedRequest.JSON.createObjectNode().put("name", name).put("channel", channel)
                .put("data", data).toString();
        return triggerRaw(server, body);
    }

    /** Signed {@code POST /apps/app-1/events} with this exact body text. */
    static RawHttp.Response triggerRaw(TestServer server, String body) throws Exception {
        SignedRequest req = SignedRequest.post(server.apiPort(), "/apps/app-1/events", body);
        return RawHttp.send(server.apiPort(), req, "POST", body.getBytes(StandardCharsets.UTF_8));
    }
}
