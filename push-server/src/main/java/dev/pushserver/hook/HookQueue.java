package dev.pushserver.hook;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The durable queue between emitting hook events and delivering them: one ordered queue per destination, a
 * dead-letter store, and the operator's tools. {@link HookStore} keeps it in a SQLite file (one node, the default);
 * {@link RedisHookQueue} in Redis Streams shared by every node and hook process of a deployment. Not thread-safe: one
 * thread uses an instance (the hook service's, or a command's).
 */
public interface HookQueue extends AutoCloseable {

    /** An event to queue for one destination. */
    record Row(String id, String target, String appId, String name, String channel, String json, long createdMs) {
    }

    /**
     * A queued event handed out for delivery. {@code ref} is the queue's own handle (a row number, a stream entry
     * id); {@code attempts} are the failed attempts so far.
     */
    record Queued(String ref, String id, String appId, String name, String channel, String json, long createdMs,
            int attempts, long nextAttemptMs) {
    }

    /**
     * One destination's queue: {@code queued} events in all, {@code pending} of them handed to a deliverer and not
     * yet acknowledged (Redis only), {@code retrying} of them with failed attempts; {@code owner} is the hook worker
     * that delivers it now (Redis only).
     */
    record TargetStatus(String target, long queued, long pending, long retrying, long oldestMs, int attempts,
            long nextAttemptMs, String owner) {
    }

    /** A dead-lettered event. */
    record DeadLetter(String ref, String id, String target, String name, String channel, String json,
            long createdMs, int attempts, long failedMs, String lastError) {
    }

    /** The queue cannot be read or written now (a full disk, Redis down); the caller tries again later. */
    final class Unavailable extends Exception {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Where the queue is, for logs and the status tools. */
    String describe();

    /** Queues rows, durably before it returns. */
    void insert(List<Row> rows) throws Unavailable;

    /** Destinations that have queued events. */
    Set<String> targets() throws Unavailable;

    /**
     * The oldest events of a destination, in order, for this process to deliver; empty when there are none or when
     * another hook worker delivers this destination now.
     */
    List<Queued> head(String target, int max) throws Unavailable;

    /** The events were delivered: they leave the queue. */
    void delivered(String target, List<Queued> rows) throws Unavailable;

    /** A failed attempt: the events are tried again at {@code nextAttemptMs}. */
    void failed(String target, List<Queued> rows, int attempts, long nextAttemptMs, String error) throws Unavailable;

    /** Moves events to the dead letters. */
    void deadLetter(String target, List<Queued> rows, int attempts, long nowMs, String error) throws Unavailable;

    /**
     * What this queue does on the hook service's periodic scan besides finding work: keeping its claims, moving
     * events written aside back where they belong. {@code requeuer}: this process holds the data_dir lock.
     */
    default void maintain(boolean requeuer) {
    }

    /**
     * Whether a destination nobody here knows is stale for good (a single node: it was removed from the
     * configuration) rather than maybe known to another node of the deployment.
     */
    boolean ownsAllTargets();

    Map<String, TargetStatus> status() throws Unavailable;

    /** Events written aside while Redis was unreachable, waiting to be moved back (0 without Redis). */
    default long waitingForRedis() throws Unavailable {
        return 0;
    }

    long deadCount() throws Unavailable;

    /** The most recent dead letters first. */
    List<DeadLetter> deadLetters(int limit) throws Unavailable;

    /**
     * Queues dead letters again (all of them, or those of event {@code id}), as new: attempts from zero and a fresh
     * retry period. Returns how many.
     */
    int replay(String id, long nowMs) throws Unavailable;

    /** Drops every queued event and every dead letter. Returns how many went. */
    int reset() throws Unavailable;

    @Override
    void close();
}
