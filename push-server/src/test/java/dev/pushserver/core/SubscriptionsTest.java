package dev.pushserver.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.config.ConfigLoader;
import dev.pushserver.config.ServerConfig;
import dev.pushserver.connection.Subscriptions;
import dev.pushserver.fanout.ChannelInterest;
import dev.pushserver.fanout.LocalFanout;
import dev.pushserver.fanout.Subscription;
import dev.pushserver.metrics.PushMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A connection's subscription table (open addressing) behaves like a map by channel name through adds, replacements,
 * removals in any order and growth, including names whose hashes collide.
 */
class SubscriptionsTest {

    private final ServerConfig config = ConfigLoader.fromYaml(CoreHarness.DEFAULT_APPS, Map.of());
    private final App app = new App(config.apps().get(0));
    private final ManualLoop loop = new ManualLoop(0, System::nanoTime);
    private final FakeSession session = new FakeSession("1.2", app, loop);
    private final LocalFanout fanout = new LocalFanout(List.of(loop), new FakeFrame.Encoder(), new ChannelInterest() {
        @Override
        public void firstSubscriber(App a, String channel) {
        }

        @Override
        public void lastSubscriber(App a, String channel) {
        }
    }, PushMetrics.unserved(new AppRegistry(config.apps())));

    private Subscription sub(String channel) {
        return fanout.add(session, channel, null);
    }

    @Test
    void behavesLikeAMapThroughRandomAddsAndRemovals() {
        // "Aa" and "BB" have the same hashCode: names built from them collide in every table size
        List<String> names = new ArrayList<>();
        for (String a : List.of("Aa", "BB")) {
            for (String b : List.of("Aa", "BB")) {
                for (String c : List.of("Aa", "BB")) {
                    names.add(a + b + c);
                }
            }
        }
        for (int i = 0; i < 40; i++) {
            names.add("private-channel-" + i);
        }
        Random random = new Random(42);
        Subscriptions table = new Subscriptions();
        Map<String, Subscription> model = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            String name = names.get(random.nextInt(names.size()));
            switch (random.nextInt(3)) {
                case 0, 1 -> {
                    Subscription s = sub(name);
                    table.put(s);
                    model.put(name, s);
                }
                default -> assertThat(table.remove(name)).as("step %d remove %s", step, name)
                        .isSameAs(model.remove(name));
            }
            assertThat(table.size()).isEqualTo(model.size());
            String probe = names.get(random.nextInt(names.size()));
            assertThat(table.get(probe)).as("step %d get %s", step, probe).isSameAs(model.get(probe));
            assertThat(table.contains(probe)).isEqualTo(model.containsKey(probe));
        }
        for (String name : names) {
            assertThat(table.get(name)).isSameAs(model.get(name));
        }
        assertThat(table.snapshot()).containsExactlyInAnyOrderElementsOf(model.values());
        table.clear();
        assertThat(table.size()).isZero();
        assertThat(table.snapshot()).isEmpty();
        assertThat(table.get(names.get(0))).isNull();
    }

    @Test
    void holdsAsManyChannelsAsAConnectionMayHave() {
        Subscriptions table = new Subscriptions();
        for (int i = 0; i < 1_000; i++) {
            table.put(sub("c-" + i));
        }
        assertThat(table.size()).isEqualTo(1_000);
        for (int i = 0; i < 1_000; i += 2) {
            assertThat(table.remove("c-" + i)).isNotNull();
        }
        assertThat(table.size()).isEqualTo(500);
        for (int i = 0; i < 1_000; i++) {
            assertThat(table.contains("c-" + i)).isEqualTo(i % 2 == 1);
        }
        assertThat(table.remove("c-0")).isNull();
        assertThat(table.remove("unknown")).isNull();
    }
}
