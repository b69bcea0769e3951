package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Row 9 of the hardening issue: a failure while flushing one connection never stops the flushing of the others. */
class LoopFlusherTest {

    @Test
    void aConnectionWhoseFlushThrowsDoesNotStopTheOthersNowOrLater() {
        EmbeddedChannel loop = new EmbeddedChannel();
        LoopFlusher flusher = new LoopFlusher(loop.eventLoop());
        List<String> flushed = new ArrayList<>();
        LoopFlusher.Target bad = () -> {
            throw new IllegalStateException("boom");
        };
        LoopFlusher.Target a = () -> flushed.add("a");
        LoopFlusher.Target b = () -> flushed.add("b");

        flusher.mark(a);
        flusher.mark(bad);
        flusher.mark(b);
        loop.runPendingTasks();
        assertThat(flushed).containsExactly("a", "b");

        flusher.mark(bad);
        flusher.mark(a);
        loop.runPendingTasks();
        assertThat(flushed).as("still flushing on the next turn").containsExactly("a", "b", "a");
        loop.finishAndReleaseAll();
    }
}
