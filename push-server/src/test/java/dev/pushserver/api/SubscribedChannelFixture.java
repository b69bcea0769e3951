package dev.pushserver.api;

import dev.pushserver.testing.TestServer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh public channel with one subscriber for every test, so a test can show that a rejected request delivered
 * nothing. Subclasses register their own per-class {@link TestServer} and name it in {@link #server()}.
 */
abstract class SubscribedChannelFixture {

    private static final AtomicInteger CHANNELS = new AtomicInteger();

    String channel;
    Subscriber sub;

    abstract TestServer server();

    /** Prefix of the per-test channel name. */
    abstract String channelPrefix();

    @BeforeEach
    void subscribe() throws Exception {
        channel = channelPrefix() + CHANNELS.incrementAndGet();
        sub = Subscriber.connect(server()).subscribe(channel);
    }

    @AfterEach
    void unsubscribe() {
        sub.close();
    }
}
