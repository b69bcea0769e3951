package dev.pushserver.bench;

import dev.pushserver.bench.ceiling.Ceiling;
import dev.pushserver.bench.scenario.ClientEvents;
import dev.pushserver.bench.scenario.Connections;
import dev.pushserver.bench.scenario.Fanout;
import dev.pushserver.bench.scenario.HttpTriggers;
import dev.pushserver.bench.scenario.ManyChannels;
import dev.pushserver.bench.scenario.PresenceChurn;
import dev.pushserver.bench.scenario.SlowConsumer;
import dev.pushserver.bench.scenario.Webhooks;
import io.netty.util.ResourceLeakDetector;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "push-bench", mixinStandardHelpOptions = true, version = "push-bench 0.1.0",
        description = "Load generator for Pusher-compatible servers (push-server, soketi, ...) and a raw Netty "
                + "ceiling. Every scenario prints one JSON line per point.",
        subcommands = {Connections.class, Fanout.class, ManyChannels.class, HttpTriggers.class, ClientEvents.class,
                PresenceChurn.class, SlowConsumer.class, Webhooks.class, Ceiling.class, Report.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        // the generator and the ceiling free every buffer they take; sampling them for leaks only costs CPU
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        int code = new CommandLine(new Main()).execute(args);
        System.exit(code);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
