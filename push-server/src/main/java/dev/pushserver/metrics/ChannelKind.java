package dev.pushserver.metrics;

import dev.pushserver.protocol.ChannelType;

/** The {@code type} label of channel gauges: the channel type, with cache channels apart. */
enum ChannelKind {
    PUBLIC("public"), PRIVATE("private"), ENCRYPTED("encrypted"), PRESENCE("presence"),
    CACHE("cache"), PRIVATE_CACHE("private_cache"), ENCRYPTED_CACHE("encrypted_cache"),
    PRESENCE_CACHE("presence_cache"), SERVER_TO_USER("server_to_user");

    static final ChannelKind[] ALL = values();

    final String label;

    ChannelKind(String label) {
        this.label = label;
    }

    static ChannelKind of(String channel) {
        ChannelType type = ChannelType.of(channel);
        boolean cache = ChannelType.isCache(channel);
        return switch (type) {
            case PUBLIC -> cache ? CACHE : PUBLIC;
            case PRIVATE -> cache ? PRIVATE_CACHE : PRIVATE;
            case ENCRYPTED -> cache ? ENCRYPTED_CACHE : ENCRYPTED;
            case PRESENCE -> cache ? PRESENCE_CACHE : PRESENCE;
            case SERVER_TO_USER -> SERVER_TO_USER;
        };
    }
}
