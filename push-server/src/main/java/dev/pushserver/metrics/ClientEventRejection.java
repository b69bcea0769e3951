package dev.pushserver.metrics;

/** Why a client event was refused, as the {@code reason} label of {@code push_client_events_rejected_total}. */
public enum ClientEventRejection {
    DISABLED("disabled"),
    RATE_LIMIT("rate_limit"),
    NO_CHANNEL("no_channel"),
    NAME_TOO_LONG("name_too_long"),
    NOT_SUBSCRIBED("not_subscribed"),
    CHANNEL_TYPE("channel_type"),
    TOO_LARGE("too_large");

    final String label;

    ClientEventRejection(String label) {
        this.label = label;
    }
}
