package dev.pushserver.connection;

import dev.pushserver.fanout.Subscription;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A connection's subscriptions by channel name, in one open-addressed array (linear probing, 4 slots to start).
 * Most connections hold one to a few channels: a {@code HashMap} costs its object, its table and a node per entry
 * (~110 bytes for one subscription), this costs the array alone (32 bytes). Lookups stay O(1) at any size, up to
 * {@code max_channels_per_connection}. Loop-confined, like its connection.
 */
public final class Subscriptions {

    private Subscription[] slots = new Subscription[4];
    private int size;

    public int size() {
        return size;
    }

    public boolean contains(String channel) {
        return get(channel) != null;
    }

    public Subscription get(String channel) {
        Subscription[] s = slots;
        int mask = s.length - 1;
        for (int i = home(channel, mask); ; i = (i + 1) & mask) {
            Subscription e = s[i];
            if (e == null || e.channel().equals(channel)) {
                return e;
            }
        }
    }

    /** Adds {@code sub}, replacing the subscription to the same channel if there is one. */
    public void put(Subscription sub) {
        if ((size + 1) * 4 > slots.length * 3) {
            grow();
        }
        if (insert(slots, sub)) {
            size++;
        }
    }

    /** Removes and returns the subscription to {@code channel}, or null. */
    public Subscription remove(String channel) {
        Subscription[] s = slots;
        int mask = s.length - 1;
        int i = home(channel, mask);
        while (true) {
            Subscription e = s[i];
            if (e == null) {
                return null;
            }
            if (e.channel().equals(channel)) {
                break;
            }
            i = (i + 1) & mask;
        }
        Subscription removed = s[i];
        s[i] = null;
        size--;
        // Backward-shift deletion: move later entries of the probe run into the hole when their home allows it,
        // so that every lookup can still stop at the first empty slot.
        for (int j = (i + 1) & mask; s[j] != null; j = (j + 1) & mask) {
            int k = home(s[j].channel(), mask);
            boolean movable = i <= j ? (k <= i || k > j) : (k <= i && k > j);
            if (movable) {
                s[i] = s[j];
                s[j] = null;
                i = j;
            }
        }
        return removed;
    }

    /** A copy of the current subscriptions, for leaving them while the table changes. */
    public List<Subscription> snapshot() {
        List<Subscription> out = new ArrayList<>(size);
        for (Subscription e : slots) {
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    public void clear() {
        Arrays.fill(slots, null);
        size = 0;
    }

    private void grow() {
        Subscription[] bigger = new Subscription[slots.length * 2];
        for (Subscription e : slots) {
            if (e != null) {
                insert(bigger, e);
            }
        }
        slots = bigger;
    }

    /** True when {@code sub} took an empty slot, false when it replaced an entry for the same channel. */
    private static boolean insert(Subscription[] s, Subscription sub) {
        int mask = s.length - 1;
        String channel = sub.channel();
        for (int i = home(channel, mask); ; i = (i + 1) & mask) {
            Subscription e = s[i];
            if (e == null) {
                s[i] = sub;
                return true;
            }
            if (e.channel().equals(channel)) {
                s[i] = sub;
                return false;
            }
        }
    }

    private static int home(String channel, int mask) {
        int h = channel.hashCode();
        return (h ^ (h >>> 16)) & mask;
    }
}
