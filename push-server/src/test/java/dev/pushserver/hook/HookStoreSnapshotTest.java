package dev.pushserver.hook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes share one hook queue (WebSocket nodes with {@code webhook_workers: 0} queue, a {@code push-server
 * hooks} process delivers): a read on one connection must not leave it holding an old snapshot, or its next write
 * fails with SQLITE_BUSY_SNAPSHOT once the other process has written.
 */
class HookStoreSnapshotTest {

    @TempDir
    Path dir;

    private static HookStore.Row row(String id) {
        return new HookStore.Row(id, "webhook:app-1:0", "app-1", "channel_occupied", "ch", "{}",
                System.currentTimeMillis());
    }

    /**
     * deadCount() committed while its ResultSet was still open, so the connection kept its read snapshot. In the
     * delivering process that happens at start-up (HooksCommand asks for the status) and on GET /admin/hooks; when a
     * node queues an event before the next commit on that connection, the delete of a delivered batch fails and the
     * batch is delivered again. Seen end to end: the hooks process posted a 10-event backlog twice when a node queued
     * events while the first post was in flight.
     */
    @Test
    void aWriteByAnotherConnectionAfterDeadCountDoesNotFailTheNextDelete() throws Exception {
        try (HookStore delivering = HookStore.open(dir); HookStore node = HookStore.open(dir)) {
            delivering.insert(List.of(row("1"), row("2")));
            List<HookStore.Queued> batch = delivering.head("webhook:app-1:0", 10);
            assertThat(delivering.deadCount()).isZero();
            node.insert(List.of(row("3"))); // another process queues an event
            delivering.delivered("webhook:app-1:0", batch); // failed with [SQLITE_BUSY_SNAPSHOT] while the bug was there
            assertThat(delivering.head("webhook:app-1:0", 10)).extracting(HookStore.Queued::id).containsExactly("3");
        }
    }

    /** The same sequence after status() (which commits after closing its ResultSet) works: the control case. */
    @Test
    void aWriteByAnotherConnectionAfterStatusDoesNotFailTheNextDelete() throws Exception {
        try (HookStore delivering = HookStore.open(dir); HookStore node = HookStore.open(dir)) {
            delivering.insert(List.of(row("1"), row("2")));
            List<HookStore.Queued> batch = delivering.head("webhook:app-1:0", 10);
            assertThat(delivering.status()).containsKey("webhook:app-1:0");
            node.insert(List.of(row("3")));
            delivering.delivered("webhook:app-1:0", batch);
            assertThat(delivering.head("webhook:app-1:0", 10)).extracting(HookStore.Queued::id).containsExactly("3");
        }
    }
}
