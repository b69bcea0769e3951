package dev.pushserver.metrics;

/** A limit that refused something, as the {@code limit} label of {@code push_rate_limited_total}. */
public enum Limit {
    /** per connection: messages (and WebSocket pings) per second */
    MAX_MESSAGES_PER_SECOND("max_messages_per_second"),
    /** per connection: client events per second */
    MAX_CLIENT_EVENTS_PER_SECOND("max_client_events_per_second"),
    /** per connection: subscribe / unsubscribe requests per second */
    MAX_SUBSCRIPTIONS_PER_SECOND("max_subscriptions_per_second"),
    /** per app: its connection quota; server-wide ({@code app=""}): the network limit */
    MAX_CONNECTIONS("max_connections"),
    /** server-wide: open connections from one address */
    MAX_CONNECTIONS_PER_IP("max_connections_per_ip"),
    /** server-wide: new connections from one address per second */
    MAX_NEW_CONNECTIONS_PER_IP_PER_SECOND("max_new_connections_per_ip_per_second"),
    /** per app: HTTP API trigger events per second (max_backend_events_per_second) */
    BACKEND_EVENTS("backend_events"),
    /** per app: HTTP API read requests per second (max_read_requests_per_second) */
    READ_REQUESTS("read_requests");

    final String label;

    Limit(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
