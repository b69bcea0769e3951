package dev.pushserver.store;

/** The shared store (Redis) did not answer: the request cannot be served with cluster-wide state now. */
public final class StoreUnavailable extends RuntimeException {

    public StoreUnavailable(String what) {
        super("cluster state (Redis " + what + ") is unavailable; try again", null, false, false);
    }
}
