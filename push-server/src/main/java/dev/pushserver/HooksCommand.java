package dev.pushserver;

import dev.pushserver.api.AdminHandler;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.config.ConfigException;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.hook.HookService;
import dev.pushserver.config.HookSettings;
import dev.pushserver.hook.HookQueue;
import dev.pushserver.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code push-server hooks}: with no subcommand, a process that only delivers hook events from the queue (run the
 * WebSocket nodes with {@code webhook_workers: 0}); with one, tools for the configured queue (Redis, or the SQLite
 * file under {@code data_dir}).
 */
@Command(name = "hooks", mixinStandardHelpOptions = true,
        description = "Without a subcommand: deliver hook events from the queue (Redis with redis_url, else the "
                + "SQLite file under data_dir), and nothing else (the WebSocket nodes then run with "
                + "webhook_workers: 0).",
        subcommands = {HooksCommand.Status.class, HooksCommand.DeadLetters.class, HooksCommand.Replay.class,
                HooksCommand.Reset.class})
final class HooksCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(HooksCommand.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file", scope =
            picocli.CommandLine.ScopeType.INHERIT)
    Path config;

    ServerConfig load() {
        List<String> warnings = new ArrayList<>();
        ServerConfig cfg = ConfigLoader.load(config, System.getenv(), Map.of(), warnings);
        warnings.forEach(log::warn);
        return cfg;
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg;
        HookService service;
        try {
            cfg = load();
            if (cfg.hooks().workers() == 0) {
                // the nodes' file says webhook_workers: 0 so that they leave delivery to this process
                log.info("webhook_workers is 0 in the configuration (for the WebSocket nodes); this hooks process "
                        + "delivers with {} workers", HookSettings.DEFAULT_WORKERS);
                cfg = cfg.withHooks(cfg.hooks().withWorkers(HookSettings.DEFAULT_WORKERS));
            }
            service = HookService.start(cfg, new AppRegistry(cfg.apps()), null, true);
        } catch (ConfigException e) {
            System.err.println("push-server hooks: invalid configuration: " + e.getMessage());
            return 2;
        }
        if (service == null) {
            System.err.println("push-server hooks: nothing to deliver: no app has a webhook and no hook handler is "
                    + "installed");
            return 1;
        }
        if (!service.delivering()) {
            service.close(0);
            System.err.println("push-server hooks: another process already delivers the hook events of "
                    + cfg.hooks().dataDir().toAbsolutePath() + " (without redis_url, one process per data_dir "
                    + "delivers; with it, any number may)");
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        long graceMs = cfg.shutdownGraceSeconds() * 1000L;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close(graceMs);
            stopped.countDown();
        }, "shutdown"));
        log.info("delivering hook events from {}", cfg.redis().enabled() ? "Redis" : cfg.hooks().dataDir()
                .toAbsolutePath());
        stopped.await();
        return 0;
    }

    /** Runs {@code work} on the configured queue (Redis, or the SQLite file under data_dir) and prints it. */
    interface Work {
        String run(HookQueue queue) throws HookQueue.Unavailable;
    }

    static int withStore(HooksCommand parent, String name, Work work) {
        ServerConfig cfg;
        try {
            cfg = parent.load();
        } catch (ConfigException e) {
            System.err.println("push-server hooks " + name + ": invalid configuration: " + e.getMessage());
            return 2;
        }
        HookQueue queue;
        try {
            queue = HookService.open(cfg, false);
        } catch (ConfigException e) {
            System.err.println("push-server hooks " + name + ": invalid configuration: " + e.getMessage());
            return 2;
        }
        try (queue) {
            System.out.println(work.run(queue));
            return 0;
        } catch (HookQueue.Unavailable e) {
            System.err.println("push-server hooks " + name + ": the hook queue cannot be read: " + e.getMessage());
            return 1;
        }
    }

    private static String utf8(byte[] json) {
        return new String(json, StandardCharsets.UTF_8);
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Queued events per destination (count, oldest, attempts, next attempt) and dead letters, "
                    + "as JSON.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        HooksCommand parent;

        @Override
        public Integer call() {
            return withStore(parent, "status", store -> {
                Map<String, HookQueue.TargetStatus> queues = store.status();
                long dead = store.deadCount();
                long aside = store.waitingForRedis();
                return Json.string(g -> {
                    g.writeStartObject();
                    g.writeStringField("queue", store.describe());
                    g.writeNumberField("waiting_for_redis", aside);
                    AdminHandler.queues(g, queues);
                    g.writeNumberField("dead_letters", dead);
                    g.writeEndObject();
                });
            });
        }
    }

    @Command(name = "dead-letters", mixinStandardHelpOptions = true,
            description = "The most recent dead letters (events whose delivery failed for webhook_retry_period), "
                    + "as JSON.")
    static final class DeadLetters implements Callable<Integer> {
        @ParentCommand
        HooksCommand parent;

        @Option(names = "--limit", defaultValue = "100", description = "how many (default 100)")
        int limit;

        @Override
        public Integer call() {
            return withStore(parent, "dead-letters", store -> utf8(AdminHandler.dead(store.deadLetters(limit))));
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Queues dead letters again, with a fresh retry period.")
    static final class Replay implements Callable<Integer> {
        @ParentCommand
        HooksCommand parent;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        static final class Which {
            @Option(names = "--id", description = "the event id to replay (for every destination it failed for)")
            String id;

            @Option(names = "--all", description = "every dead letter")
            boolean all;
        }

        @Override
        public Integer call() {
            return withStore(parent, "replay", store -> "{\"replayed\":"
                    + store.replay(which.all ? null : which.id, System.currentTimeMillis()) + "}");
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Drops every queued hook event and every dead letter.")
    static final class Reset implements Callable<Integer> {
        @ParentCommand
        HooksCommand parent;

        @Override
        public Integer call() {
            return withStore(parent, "reset", store -> "{\"removed\":" + store.reset() + "}");
        }
    }
}
