package dev.pushserver.client.socket;

import java.util.concurrent.CompletableFuture;

/**
 * Produces the auth of a private, presence or encrypted channel subscription for a socket id: the JSON object a
 * Pusher auth endpoint answers ({@code {"auth":"key:signature"}}, plus {@code channel_data} for presence and
 * {@code shared_secret} for encrypted channels). {@link HttpChannelAuthorizer} asks an HTTP endpoint (the seed's
 * {@code auth} URL); {@link SigningChannelAuthorizer} signs in process with the app secret (backends only).
 */
@FunctionalInterface
public interface ChannelAuthorizer {

    /** The auth response body (a JSON object as text). */
    CompletableFuture<String> authorize(String socketId, String channel);
}
