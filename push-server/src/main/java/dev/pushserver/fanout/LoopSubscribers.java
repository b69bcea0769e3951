package dev.pushserver.fanout;

import java.util.Arrays;

/** A compact array of one loop's subscriptions to one channel, with O(1) swap-removal. Loop-confined. */
final class LoopSubscribers {

    private Subscription[] items = new Subscription[4];
    /** written only by the owning loop; read by other threads as a hint */
    private volatile int size;

    int size() {
        return size;
    }

    Subscription get(int i) {
        return items[i];
    }

    void add(Subscription s) {
        int n = size;
        if (n == items.length) {
            items = Arrays.copyOf(items, n * 2);
        }
        items[n] = s;
        s.slot = n;
        size = n + 1;
    }

    void remove(Subscription s) {
        int i = s.slot;
        if (i < 0 || i >= size || items[i] != s) {
            return;
        }
        int last = size - 1;
        Subscription moved = items[last];
        items[i] = moved;
        moved.slot = i;
        items[last] = null;
        s.slot = -1;
        size = last;
        if (items.length > 16 && last < items.length / 4) {
            items = Arrays.copyOf(items, items.length / 2);
        }
    }
}
