package dev.pushserver.core;

import dev.pushserver.api.AdminHandler;
import dev.pushserver.api.ApiHandler;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.channel.ChannelService;
import dev.pushserver.channel.MemberEvents;
import dev.pushserver.channel.SubscriptionCounts;
import dev.pushserver.cluster.Broker;
import dev.pushserver.cluster.Publisher;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.connection.ConnectionRegistry;
import dev.pushserver.event.EventStream;
import dev.pushserver.fanout.LocalFanout;
import dev.pushserver.hook.HookService;
import dev.pushserver.metrics.PushMetrics;
import dev.pushserver.session.Frame;
import dev.pushserver.session.Guarded;
import dev.pushserver.store.MembershipStore;
import dev.pushserver.user.UserService;
import dev.pushserver.user.Watchers;
import dev.pushserver.user.WatchlistEvents;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The Netty-free server: the store that decides transitions, the event stream that announces them, the local
 * fan-out and the broker to other nodes, the channel and user rules, the per-connection dispatcher and the HTTP API.
 * A transport feeds it sessions and requests; tests drive it with fake sessions.
 */
public final class PushCore implements AutoCloseable {

    private final AppRegistry apps;
    private final EventStream events = new EventStream();
    private final MembershipStore store;
    private final Broker broker;
    private final ConnectionRegistry registry = new ConnectionRegistry();
    private final ClientDispatcher dispatcher;
    private final ApiHandler api;
    private final ScheduledFuture<?> eviction;
    private final ExecutorService queries;
    private final HookService hooks;
    private final AdminHandler admin;
    private final PushMetrics metrics;
    private boolean ownsMetrics;

    /**
     * @param loops   the event loops sessions run on, in the order of their {@code Session.loop()} index; the first
     *                one also runs the core's timers
     * @param encoder encodes messages into frames for fan-out
     * @param stores  creates the membership store on the core's event stream
     * @param broker  the link to other nodes ({@code LocalBroker} for one node)
     */
    public PushCore(ServerConfig config, AppRegistry apps, List<? extends ScheduledExecutorService> loops,
            Frame.Encoder encoder, Function<EventStream, MembershipStore> stores, Broker broker) {
        this(config, apps, loops, encoder, stores, broker, PushMetrics.unserved(apps));
        ownsMetrics = true;
    }

    /** As above, counting into {@code metrics} (the server's own registry). */
    public PushCore(ServerConfig config, AppRegistry apps, List<? extends ScheduledExecutorService> loops,
            Frame.Encoder encoder, Function<EventStream, MembershipStore> stores, Broker broker,
            PushMetrics metrics) {
        this.apps = apps;
        this.metrics = metrics;
        this.store = stores.apply(events);
        this.broker = broker;
        LocalFanout fanout = new LocalFanout(loops, encoder, broker, metrics);
        Publisher publisher = new Publisher(fanout, broker);
        Watchers watchers = new Watchers();
        ChannelService channels = new ChannelService(store, fanout, publisher, events, registry, metrics);
        UserService users = new UserService(store, fanout, registry, watchers);
        this.dispatcher = new ClientDispatcher(config.activityTimeoutSeconds(), registry, channels, users, metrics);
        this.queries = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "api-queries");
            t.setDaemon(true);
            return t;
        });
        this.api = new ApiHandler(apps, store, publisher, events, users, queries, metrics);
        ScheduledExecutorService timer = loops.get(0);
        events.listen(new MemberEvents(publisher));
        events.listen(new SubscriptionCounts(publisher, timer));
        WatchlistEvents watchlist = new WatchlistEvents(watchers);
        events.listen(watchlist);
        // the other nodes' watchers learn of this node's online / offline transitions, and this node of theirs
        events.listen(new NodeNotices(publisher));
        publisher.start(notice -> {
            switch (notice.kind()) {
                case TERMINATE -> users.terminate(notice.app(), notice.userId());
                case USER_ONLINE -> watchlist.notify(notice.app(), notice.userId(), true);
                case USER_OFFLINE -> watchlist.notify(notice.app(), notice.userId(), false);
            }
        });
        store.countConnections(registry::count);
        registry.countElsewhere(store::connectionsElsewhere);
        // webhooks and the user's hook handlers: null when there are none
        this.hooks = HookService.start(config, apps, events, true);
        this.admin = new AdminHandler(config.hooks().adminToken(), hooks);
        metrics.appGauge("push.connections", "Open WebSocket connections on this node", registry::count);
        metrics.channelCensus(fanout::census);
        metrics.listen(events);
        if (hooks != null) {
            metrics.hooks(hooks);
        }
        this.eviction = timer.scheduleAtFixedRate(Guarded.task("cache eviction", store::evictExpired), 1, 1,
                TimeUnit.MINUTES);
    }

    public AppRegistry apps() {
        return apps;
    }

    /** Where webhooks, metrics and tests listen to transitions. */
    public EventStream events() {
        return events;
    }

    public MembershipStore store() {
        return store;
    }

    public ConnectionRegistry connections() {
        return registry;
    }

    public ClientDispatcher dispatcher() {
        return dispatcher;
    }

    public ApiHandler api() {
        return api;
    }

    /** The admin endpoints (/admin/hooks...). */
    public AdminHandler admin() {
        return admin;
    }

    /** The hook service, or null when no app has a webhook and no hook handler is installed. */
    public HookService hooks() {
        return hooks;
    }

    /** This server's meters. */
    public PushMetrics metrics() {
        return metrics;
    }

    /** Null when this node can serve with cluster-wide state, else what is wrong (for /ready). */
    public String problem() {
        String p = store.problem();
        if (p == null) {
            p = broker.problem();
        }
        if (p == null && hooks != null) {
            p = hooks.problem(); // events must be durable before they count as emitted
        }
        return p;
    }

    @Override
    public void close() {
        eviction.cancel(false);
        store.close(); // a cluster node removes its state from Redis first: its transitions still reach hooks
        queries.shutdownNow();
        if (hooks != null) {
            hooks.close(); // what was emitted is on disk; undelivered events wait for the next start
        }
        broker.close();
        if (ownsMetrics) {
            metrics.close();
        }
    }
}
