package dev.pushserver.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.api.ApiResponse;
import dev.pushserver.app.App;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.core.CoreHarness.Client;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEvent.MemberAdded;
import dev.pushserver.event.ChannelEventListener;
import dev.pushserver.event.EventStream;
import dev.pushserver.event.EventType;
import dev.pushserver.store.Join;
import dev.pushserver.store.MemoryStore;
import dev.pushserver.testing.Messages;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The channel-event stream: per-app numbering, events nobody wants are not built, faulty and slow listeners cannot
 * hurt the others, and the membership store's transitions stay well-formed under real concurrent threads.
 */
class EventStreamTest {

    /** the users of the concurrency tests' presence channel */
    private static final List<String> RACE_USERS = List.of("u0", "u1", "u2", "u3", "u4");

    private final CoreHarness h = new CoreHarness();

    @AfterEach
    void noLeaks() {
        h.runAll();
        assertThat(h.liveFrames()).as("frames still referenced").isEmpty();
        h.close();
    }

    /** A listener that wants the given types (all transitions when none given) and hands each event to {@code onEvent}. */
    private static ChannelEventListener listener(Consumer<ChannelEvent> onEvent, EventType... types) {
        Set<EventType> wanted = types.length == 0 ? CoreHarness.TRANSITIONS : EnumSet.of(types[0], types);
        return new ChannelEventListener() {
            @Override
            public boolean wants(App app, EventType type) {
                return wanted.contains(type);
            }

            @Override
            public void onEvent(ChannelEvent event) {
                onEvent.accept(event);
            }
        };
    }

    private static App standaloneApp() {
        return new App(ConfigLoader.fromYaml(CoreHarness.DEFAULT_APPS, Map.of()).apps().get(0));
    }

    private static List<Long> seqs(List<ChannelEvent> events, Predicate<ChannelEvent> which) {
        return events.stream().filter(which).map(ChannelEvent::seq).toList();
    }

    private static void assertConsecutiveFromOne(List<Long> seqs, String what) {
        assertThat(seqs).as(what).isNotEmpty();
        for (int i = 0; i < seqs.size(); i++) {
            assertThat(seqs.get(i)).as("%s: seq #%d of %s", what, i, seqs).isEqualTo(i + 1L);
        }
    }

    @Test
    void seqNumbersIncreaseByOnePerAppAndEachAppCountsOnItsOwn() {
        Client a1 = h.connect("key-1", 0);
        Client a2 = h.connect("key-1", 1);
        Client b1 = h.connect("key-2", 1);
        Client b2 = h.connect("key-2", 0);
        a1.subscribe("news");
        b1.subscribe("news");
        b1.subscribe("other");
        a1.join("presence-p", "u1", null);
        b2.join("presence-p", "u2", null);
        a2.join("presence-p", "u3", null);
        a2.signin("{\"id\":\"u3\"}");
        b2.signin("{\"id\":\"u2\"}");
        a1.send(Messages.clientEvent("client-x", "presence-p", "{}"));
        assertThat(h.api("POST", "/events", "{\"name\":\"e\",\"channel\":\"news\",\"data\":\"d\"}").status())
                .isEqualTo(200);
        b1.disconnect();
        a1.disconnect();
        a2.disconnect();
        b2.send(Messages.unsubscribe("presence-p"));

        App app1 = h.app("app-1");
        App app2 = h.app("app-2");
        List<Long> seq1 = seqs(h.events, e -> e.app() == app1);
        List<Long> seq2 = seqs(h.events, e -> e.app() == app2);
        assertThat(seq1.size() + seq2.size()).isEqualTo(h.events.size());
        assertConsecutiveFromOne(seq1, "app-1");
        assertConsecutiveFromOne(seq2, "app-2");
        assertThat(seq1).hasSizeGreaterThan(10);
        assertThat(seq2).hasSizeGreaterThan(5);
        int switches = 0;
        for (int i = 1; i < h.events.size(); i++) {
            switches += h.events.get(i).app() != h.events.get(i - 1).app() ? 1 : 0;
        }
        assertThat(switches).as("the apps' events interleave, so a shared counter would leave gaps")
                .isGreaterThanOrEqualTo(4);
    }

    @Test
    void anEventNobodyWantsIsNotBuiltAndTakesNoNumber() {
        App app = standaloneApp();
        EventStream stream = new EventStream();
        List<ChannelEvent> got = new ArrayList<>();
        stream.listen(listener(got::add, EventType.MEMBER_ADDED));

        assertThat(stream.wants(app, EventType.CLIENT_EVENT)).isFalse();
        assertThat(stream.wants(app, EventType.MEMBER_ADDED)).isTrue();
        AtomicInteger built = new AtomicInteger();
        stream.emit(app, EventType.CLIENT_EVENT, (seq, t) -> {
            built.incrementAndGet();
            throw new AssertionError("built an event nobody wants");
        });
        assertThat(built).hasValue(0);
        assertThat(got).isEmpty();

        stream.emit(app, EventType.MEMBER_ADDED, (seq, t) -> {
            built.incrementAndGet();
            return new MemberAdded(app, "presence-a", "u", null, "1.1", 1, t, seq);
        });
        assertThat(built).hasValue(1);
        assertThat(got).extracting(ChannelEvent::seq).containsExactly(1L);

        // a listener added once the app is known is routed too
        List<ChannelEvent> late = new ArrayList<>();
        stream.listen(listener(late::add, EventType.CLIENT_EVENT));
        assertThat(stream.wants(app, EventType.CLIENT_EVENT)).isTrue();
        stream.emit(app, EventType.CLIENT_EVENT, (seq, t) -> new ChannelEvent.ClientEventSent(app, "private-a",
                "client-x", "{}", null, "1.1", t, seq));
        assertThat(late).extracting(ChannelEvent::seq).containsExactly(2L);
        assertThat(got).hasSize(1);
    }

    /** The thrower is registered before a recorder: the recorder still gets every event, the store stays right. */
    @Test
    void aThrowingListenerStopsNeitherTheOtherListenersNorTheTransition() {
        AtomicInteger thrown = new AtomicInteger();
        List<ChannelEvent> after = Collections.synchronizedList(new ArrayList<>());
        h.core.events().listen(listener(e -> {
            thrown.incrementAndGet();
            throw new IllegalStateException("listener bug");
        }));
        h.core.events().listen(listener(after::add));

        Client observer = h.connect(0);
        Client a = h.connect(1);
        observer.join("presence-t", "obs", null);
        observer.expect("pusher_internal:subscription_succeeded", "presence-t");
        a.subscribe("news");
        a.expect("pusher_internal:subscription_succeeded", "news");
        a.join("presence-t", "a", null);
        a.expect("pusher_internal:subscription_succeeded", "presence-t");
        observer.expect("pusher_internal:member_added", "presence-t");
        assertThat(h.core.store().channel(h.app("app-1"), "news").toCompletableFuture().join().subscriptionCount())
                .isEqualTo(1);

        a.send(Messages.unsubscribe("news"));
        a.disconnect();
        observer.expect("pusher_internal:member_removed", "presence-t");
        assertThat(thrown.get()).isEqualTo(h.events.size()).isGreaterThan(0);
        assertThat(after).extracting(ChannelEvent::seq)
                .containsExactlyElementsOf(h.events.stream().map(ChannelEvent::seq).toList());
        assertThat(types(after)).containsExactly(EventType.CHANNEL_OCCUPIED, EventType.MEMBER_ADDED,
                EventType.CHANNEL_OCCUPIED, EventType.SUBSCRIPTION_COUNT, EventType.MEMBER_ADDED,
                EventType.SUBSCRIPTION_COUNT, EventType.CHANNEL_VACATED, EventType.MEMBER_REMOVED);
        assertThat(h.core.store().channel(h.app("app-1"), "news").toCompletableFuture().join().occupied()).isFalse();
    }

    private static List<EventType> types(List<ChannelEvent> events) {
        return events.stream().map(ChannelEvent::type).toList();
    }

    /**
     * A listener blocked on a latch, on its own executor, holds up nobody: a subscribe and an API event go through
     * meanwhile, and once released it receives every event, in seq order.
     */
    @Test
    void aSlowAsyncListenerDelaysNeitherDeliveryNorOtherListeners() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        List<ChannelEvent> got = Collections.synchronizedList(new ArrayList<>());
        try {
            h.core.events().listenAsync(listener(e -> {
                blocked.countDown();
                try {
                    if (!release.await(3, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
                got.add(e);
            }), executor);

            Client c = h.connect(0);
            c.subscribe("news");
            c.expect("pusher_internal:subscription_succeeded", "news");
            assertThat(blocked.await(5, TimeUnit.SECONDS)).as("the listener is running and blocked").isTrue();
            ApiResponse r = h.api("POST", "/events", "{\"name\":\"e\",\"channel\":\"news\",\"data\":\"d\"}");
            assertThat(r.status()).isEqualTo(200);
            assertThat(c.expect("e", "news").get("data").asText()).isEqualTo("d");
            c.disconnect();
            assertThat(got).as("still blocked").isEmpty();
            List<ChannelEvent> expected = List.copyOf(h.events);
            assertThat(types(expected)).containsExactly(EventType.CHANNEL_OCCUPIED, EventType.SUBSCRIPTION_COUNT,
                    EventType.SERVER_EVENT, EventType.SUBSCRIPTION_COUNT, EventType.CHANNEL_VACATED);

            release.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (got.size() < expected.size() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(got).as("every event, in seq order").containsExactlyElementsOf(expected);
        } finally {
            release.countDown();
            executor.shutdownNow();
            assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** What {@link #race} recorded, and the store it raced on. */
    private record Race(App app, MemoryStore store, List<ChannelEvent> events) {
    }

    /**
     * Real threads on one MemoryStore, no harness: 8 threads × 2,000 iterations each join and leave the presence
     * channel "presence-race" as one of 5 shared users, and the public channel "race", each thread with its own
     * socket ids. Returns the membership events in the order the inline listener saw them (under the store's lock).
     */
    private static Race race() throws Exception {
        App app = standaloneApp();
        EventStream stream = new EventStream();
        List<ChannelEvent> recorded = Collections.synchronizedList(new ArrayList<>());
        stream.listen(listener(recorded::add, EventType.CHANNEL_OCCUPIED, EventType.CHANNEL_VACATED,
                EventType.MEMBER_ADDED, EventType.MEMBER_REMOVED));
        MemoryStore store = new MemoryStore(stream);
        int threads = 8;
        int iterations = 2_000;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int i = 0; i < iterations; i++) {
                        String presenceSocket = (thread + 1) + "." + (2 * i);
                        String publicSocket = (thread + 1) + "." + (2 * i + 1);
                        String user = RACE_USERS.get(rnd.nextInt(RACE_USERS.size()));
                        store.join(app, new Join("presence-race", presenceSocket, user, null, 1000, false));
                        store.join(app, new Join("race", publicSocket, null, null, 1000, false));
                        if (rnd.nextBoolean()) {
                            store.leave(app, "presence-race", presenceSocket, user);
                            store.leave(app, "race", publicSocket, null);
                        } else {
                            store.leave(app, "race", publicSocket, null);
                            store.leave(app, "presence-race", presenceSocket, user);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Race(app, store, List.copyOf(recorded));
    }

    /**
     * Whatever the interleaving, each user's member_added and member_removed alternate starting with added, the
     * numbering follows the recorded order, and at the end both channels are unoccupied and nobody is a member.
     */
    @Test
    void concurrentJoinsAndLeavesKeepEachUsersMemberEventsAlternatingAndInSeqOrder() throws Exception {
        Race r = race();
        List<ChannelEvent> events = r.events();
        assertThat(events).hasSizeGreaterThan(2 * RACE_USERS.size());
        for (int i = 1; i < events.size(); i++) {
            if (events.get(i).seq() != events.get(i - 1).seq() + 1) {
                throw new AssertionError("seq " + events.get(i).seq() + " follows " + events.get(i - 1).seq()
                        + " at " + i);
            }
        }
        for (String user : RACE_USERS) {
            List<ChannelEvent> mine = events.stream().filter(e -> user.equals(e.userId())).toList();
            assertAlternatingEvents(mine, EventType.MEMBER_ADDED, EventType.MEMBER_REMOVED,
                    "member events of " + user);
        }
        for (String channel : List.of("presence-race", "race")) {
            assertThat(r.store().channel(r.app(), channel).toCompletableFuture().join().occupied())
                    .as("%s occupied at the end", channel).isFalse();
        }
        assertThat(r.store().members(r.app(), "presence-race").toCompletableFuture().join()).isEmpty();
    }

    /**
     * Each channel's occupied and vacated alternate starting with occupied, even when a join races the last leave
     * (the vacated channel is announced before it leaves the store's map, so a racing join starts a fresh one after).
     */
    @Test
    void concurrentJoinsAndLeavesKeepEachChannelsOccupiedAndVacatedAlternating() throws Exception {
        Race r = race();
        for (String channel : List.of("presence-race", "race")) {
            List<ChannelEvent> occupancy = r.events().stream().filter(e -> channel.equals(e.channel()))
                    .filter(e -> e.type() == EventType.CHANNEL_OCCUPIED || e.type() == EventType.CHANNEL_VACATED)
                    .toList();
            assertAlternatingEvents(occupancy, EventType.CHANNEL_OCCUPIED, EventType.CHANNEL_VACATED,
                    "occupancy of " + channel);
        }
    }

    /** first, second, first, ... ending with second; a failure shows the events around the first wrong one. */
    private static void assertAlternatingEvents(List<ChannelEvent> events, EventType first, EventType second,
            String what) {
        assertThat(events).as(what).isNotEmpty();
        for (int i = 0; i < events.size(); i++) {
            EventType expected = i % 2 == 0 ? first : second;
            if (events.get(i).type() != expected) {
                List<String> around = events.subList(Math.max(0, i - 2), Math.min(events.size(), i + 2)).stream()
                        .map(e -> "#" + e.seq() + " " + e.type() + " by " + e.socketId()).toList();
                throw new AssertionError(what + ": event " + i + " is " + events.get(i).type() + ", expected "
                        + expected + "; around it: " + around);
            }
        }
        assertThat(events.size() % 2).as("%s ends with %s", what, second).isZero();
    }
}
