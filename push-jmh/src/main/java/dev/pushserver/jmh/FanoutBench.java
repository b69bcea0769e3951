package dev.pushserver.jmh;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.fanout.ChannelInterest;
import dev.pushserver.fanout.LocalFanout;
import dev.pushserver.fanout.Publication;
import dev.pushserver.fanout.Subscription;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.protocol.Messages;
import dev.pushserver.session.Frame;
import dev.pushserver.session.Session;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fan-out of one publication to N local subscribers on one loop, with sessions that only count what they are
 * given: the core's own cost per publication (look-up, encode once, the per-subscriber walk), without sockets.
 * Divide by N for the cost per delivery.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FanoutBench {

    @Param({"1", "100", "1000"})
    public int subscribers;

    private LocalFanout fanout;
    private App app;
    private Publication publication;

    /** A frame that only counts its references. */
    static final class CountingFrame implements Frame {
        int refs = 1;

        @Override
        public Frame retain() {
            refs++;
            return this;
        }

        @Override
        public void release() {
            refs--;
        }
    }

    static final class FakeSession implements Session {
        final String id;
        final App app;
        long delivered;

        FakeSession(String id, App app) {
            this.id = id;
            this.app = app;
        }

        @Override
        public String socketId() {
            return id;
        }

        @Override
        public App app() {
            return app;
        }

        @Override
        public int loop() {
            return 0;
        }

        @Override
        public ScheduledExecutorService executor() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void send(byte[] message) {
        }

        @Override
        public boolean deliver(Frame frame) {
            delivered++;
            return true;
        }

        @Override
        public void close(int code, String reason) {
        }

        @Override
        public boolean isOpen() {
            return true;
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        AppRegistry apps = new AppRegistry(ConfigLoader.fromYaml("", Map.of()).apps());
        app = apps.all().iterator().next();
        Executor inline = Runnable::run;
        ChannelInterest none = new ChannelInterest() {
            @Override
            public void firstSubscriber(App a, String channel) {
            }

            @Override
            public void lastSubscriber(App a, String channel) {
            }
        };
        // with the server's metrics, as it runs: deliveries are counted once per publication
        fanout = new LocalFanout(List.of(inline), message -> new CountingFrame(), none, PushMetrics.unserved(apps));
        for (int i = 0; i < subscribers; i++) {
            Subscription s = fanout.add(new FakeSession("1." + i, app), "chat", null);
            fanout.activate(s, 0);
        }
        publication = Publication.toAll(app, "chat", Messages.event("new-message", "chat", "{\"n\":1}"), null);
    }

    @Benchmark
    public void publish() {
        fanout.deliver(publication);
    }
}
