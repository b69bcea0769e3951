package dev.pushserver.testing;

import dev.pushserver.app.App;
import dev.pushserver.store.CachedEvent;
import dev.pushserver.store.ChannelCounts;
import dev.pushserver.store.Join;
import dev.pushserver.store.Joined;
import dev.pushserver.store.MembershipStore;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A store whose answers arrive when the test says, as a shared store's (Redis) would: wraps a real store and either
 * passes calls through, decides them later ({@link Mode#DECIDE_LATER}: the call reaches the real store only on
 * release), or decides them now and answers later ({@link Mode#ANSWER_LATER}). Released answers complete on the
 * test's thread, like replies on a client's I/O thread, never on a session's loop.
 */
public final class DeferredStore implements MembershipStore {

    public enum Mode { PASS, DECIDE_LATER, ANSWER_LATER }

    private final MembershipStore store;
    private final ArrayDeque<Runnable> held = new ArrayDeque<>();
    private Mode mode = Mode.PASS;
    private RuntimeException failure;

    public DeferredStore(MembershipStore store) {
        this.store = store;
    }

    public synchronized void mode(Mode m) {
        this.mode = m;
    }

    /** The next held call fails with {@code e} instead of reaching the store. */
    public synchronized void failNext(RuntimeException e) {
        this.failure = e;
    }

    public synchronized int held() {
        return held.size();
    }

    /** Releases the oldest held call; false when none is held. */
    public boolean releaseNext() {
        Runnable r;
        synchronized (this) {
            r = held.poll();
        }
        if (r == null) {
            return false;
        }
        r.run();
        return true;
    }

    public void releaseAll() {
        while (releaseNext()) {
            // each release may complete stages whose continuations are queued on the loops
        }
    }

    private synchronized <T> CompletionStage<T> call(Supplier<CompletionStage<T>> op) {
        switch (mode) {
            case PASS -> {
                return op.get();
            }
            case DECIDE_LATER -> {
                CompletableFuture<T> answer = new CompletableFuture<>();
                RuntimeException fail = failure;
                failure = null;
                held.add(() -> {
                    if (fail != null) {
                        answer.completeExceptionally(fail);
                    } else {
                        op.get().whenComplete((v, e) -> complete(answer, v, e));
                    }
                });
                return answer;
            }
            default -> {
                CompletionStage<T> decided = op.get();
                CompletableFuture<T> answer = new CompletableFuture<>();
                held.add(() -> decided.whenComplete((v, e) -> complete(answer, v, e)));
                return answer;
            }
        }
    }

    private static <T> void complete(CompletableFuture<T> f, T v, Throwable e) {
        if (e != null) {
            f.completeExceptionally(e);
        } else {
            f.complete(v);
        }
    }

    @Override
    public CompletionStage<Joined> join(App app, Join join) {
        return call(() -> store.join(app, join));
    }

    @Override
    public CompletionStage<Void> leave(App app, String channel, String socketId, String userId) {
        return call(() -> store.leave(app, channel, socketId, userId));
    }

    @Override
    public CompletionStage<Boolean> signIn(App app, String userId, String socketId) {
        return call(() -> store.signIn(app, userId, socketId));
    }

    @Override
    public CompletionStage<Boolean> signOut(App app, String userId, String socketId) {
        return call(() -> store.signOut(app, userId, socketId));
    }

    @Override
    public CompletionStage<Set<String>> online(App app, Collection<String> userIds) {
        return call(() -> store.online(app, userIds));
    }

    @Override
    public CompletionStage<ChannelCounts> channel(App app, String channel) {
        return call(() -> store.channel(app, channel));
    }

    @Override
    public CompletionStage<Map<String, ChannelCounts>> channels(App app, String prefix, int limit) {
        return call(() -> store.channels(app, prefix, limit));
    }

    @Override
    public CompletionStage<Map<String, String>> members(App app, String channel) {
        return call(() -> store.members(app, channel));
    }

    @Override
    public CompletionStage<Void> cache(App app, String channel, CachedEvent event) {
        return call(() -> store.cache(app, channel, event));
    }

    @Override
    public CompletionStage<CachedEvent> cached(App app, String channel) {
        return call(() -> store.cached(app, channel));
    }

    @Override
    public CompletionStage<Long> take(App app, String limit, int amount, int perSecond) {
        return store.take(app, limit, amount, perSecond);
    }
}
