package dev.pushserver.store;

import dev.pushserver.app.App;
import dev.pushserver.app.PerApp;
import dev.pushserver.event.ChannelEvent.ChannelOccupied;
import dev.pushserver.event.ChannelEvent.ChannelVacated;
import dev.pushserver.event.ChannelEvent.MemberAdded;
import dev.pushserver.event.ChannelEvent.MemberRemoved;
import dev.pushserver.event.ChannelEvent.SubscriptionCountChanged;
import dev.pushserver.event.ChannelEvent.UserOffline;
import dev.pushserver.event.ChannelEvent.UserOnline;
import dev.pushserver.event.EventStream;
import dev.pushserver.event.EventType;
import dev.pushserver.protocol.ChannelType;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one-node store: plain maps in this process. Every answer is complete when returned, so the single-node path
 * makes no thread hop. A channel's counts and members are guarded by its own lock, under which its transitions are
 * decided and emitted.
 */
public final class MemoryStore implements MembershipStore {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final EventStream events;
    private final PerApp<AppState> apps = new PerApp<>(a -> new AppState());

    public MemoryStore(EventStream events) {
        this.events = events;
    }

    private static final class AppState {
        final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();
        /** membership versions, increasing per app so that a channel's versions never repeat, even once vacated */
        final AtomicLong versions = new AtomicLong();
        /** user id -> signed-in connections */
        final ConcurrentHashMap<String, Integer> signedIn = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, CachedEvent> cache = new ConcurrentHashMap<>();
        /** limit name -> its budget (HTTP API rate limits) */
        final ConcurrentHashMap<String, RateBudget> budgets = new ConcurrentHashMap<>();
    }

    /** One occupied channel. A channel exists while it has at least one subscription. */
    private static final class Channel {
        final String name;
        final ChannelType type;
        // guarded by this
        int subscriptions;
        final Map<String, Member> members;
        boolean removed;

        Channel(String name) {
            this.name = name;
            this.type = ChannelType.of(name);
            this.members = type == ChannelType.PRESENCE ? new LinkedHashMap<>() : null;
        }

        Map<String, String> roster() {
            Map<String, String> out = new LinkedHashMap<>();
            members.forEach((id, m) -> out.put(id, m.userInfoJson));
            return out;
        }
    }

    private static final class Member {
        final String userInfoJson;
        int connections = 1;

        Member(String userInfoJson) {
            this.userInfoJson = userInfoJson;
        }
    }

    @Override
    public CompletionStage<Joined> join(App app, Join j) {
        AppState s = apps.get(app);
        String socketId = j.socketId();
        while (true) {
            Channel c = s.channels.computeIfAbsent(j.channel(), Channel::new);
            synchronized (c) {
                if (c.removed) {
                    continue; // lost a race with the last leave; take the fresh channel
                }
                String userId = j.userId();
                boolean presence = userId != null && c.members != null;
                if (presence && !c.members.containsKey(userId) && c.members.size() >= j.maxMembers()) {
                    if (c.subscriptions == 0) {
                        c.removed = true;
                        s.channels.remove(c.name, c);
                    }
                    return CompletableFuture.completedFuture(Joined.FULL);
                }
                long version = s.versions.incrementAndGet();
                if (c.subscriptions++ == 0) {
                    events.emit(app, EventType.CHANNEL_OCCUPIED,
                            (seq, t) -> new ChannelOccupied(app, c.name, socketId, t, seq));
                }
                Map<String, String> roster = null;
                if (presence) {
                    Member m = c.members.get(userId);
                    if (m == null) {
                        c.members.put(userId, new Member(j.userInfoJson()));
                        events.emit(app, EventType.MEMBER_ADDED, (seq, t) -> new MemberAdded(app, c.name, userId,
                                j.userInfoJson(), socketId, version, t, seq));
                    } else {
                        m.connections++;
                    }
                    roster = c.roster();
                }
                countChanged(app, c, socketId);
                CachedEvent cached = j.readCache() ? live(s, c.name) : null;
                return CompletableFuture.completedFuture(new Joined(false, version, roster, cached));
            }
        }
    }

    @Override
    public CompletionStage<Void> leave(App app, String channel, String socketId, String userId) {
        AppState s = apps.get(app);
        Channel c = s.channels.get(channel);
        if (c == null) {
            return DONE;
        }
        synchronized (c) {
            if (c.removed || c.subscriptions == 0) {
                return DONE;
            }
            long version = s.versions.incrementAndGet();
            if (userId != null && c.members != null) {
                Member m = c.members.get(userId);
                if (m != null && --m.connections == 0) {
                    c.members.remove(userId);
                    events.emit(app, EventType.MEMBER_REMOVED,
                            (seq, t) -> new MemberRemoved(app, channel, userId, socketId, version, t, seq));
                }
            }
            c.subscriptions--;
            countChanged(app, c, socketId);
            if (c.subscriptions == 0) {
                c.removed = true;
                // announced while the channel is still in the map: a join that finds it waits for this lock, sees
                // it removed and starts a fresh one, so its occupied always comes after this vacated
                events.emit(app, EventType.CHANNEL_VACATED, (seq, t) -> new ChannelVacated(app, channel, socketId, t,
                        seq));
                s.channels.remove(channel, c);
            }
        }
        return DONE;
    }

    /** Under the channel's lock. */
    private void countChanged(App app, Channel c, String socketId) {
        if (c.type.hasSubscriptionCount() && events.wants(app, EventType.SUBSCRIPTION_COUNT)) {
            int count = c.subscriptions;
            events.emit(app, EventType.SUBSCRIPTION_COUNT,
                    (seq, t) -> new SubscriptionCountChanged(app, c.name, count, socketId, t, seq));
        }
    }

    @Override
    public CompletionStage<Boolean> signIn(App app, String userId, String socketId) {
        boolean[] first = new boolean[1];
        apps.get(app).signedIn.compute(userId, (id, n) -> {
            if (n == null) {
                first[0] = true;
                events.emit(app, EventType.USER_ONLINE, (seq, t) -> new UserOnline(app, id, socketId, t, seq));
                return 1;
            }
            return n + 1;
        });
        return CompletableFuture.completedFuture(first[0]);
    }

    @Override
    public CompletionStage<Boolean> signOut(App app, String userId, String socketId) {
        boolean[] last = new boolean[1];
        apps.get(app).signedIn.computeIfPresent(userId, (id, n) -> {
            if (n > 1) {
                return n - 1;
            }
            last[0] = true;
            events.emit(app, EventType.USER_OFFLINE, (seq, t) -> new UserOffline(app, id, socketId, t, seq));
            return null;
        });
        return CompletableFuture.completedFuture(last[0]);
    }

    @Override
    public CompletionStage<Set<String>> online(App app, Collection<String> userIds) {
        Map<String, Integer> signedIn = apps.get(app).signedIn;
        Set<String> out = new LinkedHashSet<>();
        for (String id : userIds) {
            if (signedIn.containsKey(id)) {
                out.add(id);
            }
        }
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletionStage<ChannelCounts> channel(App app, String channel) {
        AppState s = apps.get(app);
        if (channel.startsWith(ChannelType.SERVER_TO_USER_PREFIX)) {
            // a user's channel reaches every connection signed in as the user
            Integer n = s.signedIn.get(channel.substring(ChannelType.SERVER_TO_USER_PREFIX.length()));
            return CompletableFuture.completedFuture(n == null ? ChannelCounts.NONE : new ChannelCounts(n, 0));
        }
        Channel c = s.channels.get(channel);
        return CompletableFuture.completedFuture(c == null ? ChannelCounts.NONE : counts(c));
    }

    private static ChannelCounts counts(Channel c) {
        synchronized (c) {
            return new ChannelCounts(c.subscriptions, c.members == null ? 0 : c.members.size());
        }
    }

    @Override
    public CompletionStage<Map<String, ChannelCounts>> channels(App app, String prefix, int limit) {
        Map<String, ChannelCounts> out = new LinkedHashMap<>();
        for (Channel c : apps.get(app).channels.values()) {
            if (out.size() >= limit) {
                break;
            }
            if (prefix == null || c.name.startsWith(prefix)) {
                ChannelCounts counts = counts(c);
                if (counts.occupied()) {
                    out.put(c.name, counts);
                }
            }
        }
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletionStage<Map<String, String>> members(App app, String channel) {
        Channel c = apps.get(app).channels.get(channel);
        if (c == null || c.members == null) {
            return CompletableFuture.completedFuture(Map.of());
        }
        synchronized (c) {
            return CompletableFuture.completedFuture(c.roster());
        }
    }

    @Override
    public CompletionStage<Void> cache(App app, String channel, CachedEvent event) {
        apps.get(app).cache.put(channel, event);
        return DONE;
    }

    @Override
    public CompletionStage<CachedEvent> cached(App app, String channel) {
        return CompletableFuture.completedFuture(live(apps.get(app), channel));
    }

    private static CachedEvent live(AppState s, String channel) {
        CachedEvent e = s.cache.get(channel);
        if (e != null && e.expired(System.currentTimeMillis())) {
            s.cache.remove(channel, e);
            return null;
        }
        return e;
    }

    @Override
    public void evictExpired() {
        long now = System.currentTimeMillis();
        for (AppState s : apps.all()) {
            s.cache.values().removeIf(e -> e.expired(now));
        }
    }

    @Override
    public CompletionStage<Long> take(App app, String limit, int amount, int perSecond) {
        long wait = apps.get(app).budgets.computeIfAbsent(limit, l -> new RateBudget())
                .take(RateBudget.nowMicros(), amount, perSecond);
        return CompletableFuture.completedFuture(wait);
    }
}
