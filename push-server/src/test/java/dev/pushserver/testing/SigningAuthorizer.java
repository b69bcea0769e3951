package dev.pushserver.testing;

import com.pusher.client.ChannelAuthorizer;
import com.pusher.rest.Pusher;

/**
 * A channel authorizer that signs like an application backend would, using the official server SDK
 * ({@code pusher-http-java}'s {@code authenticate}), so the test does not re-implement the signature.
 */
public final class SigningAuthorizer implements ChannelAuthorizer {

    private final Pusher sdk;
    private final String presenceChannelData;

    /** @param presenceChannelData JSON {@code {"user_id":..,"user_info":..}} used for presence channels */
    public SigningAuthorizer(String appId, String key, String secret, String presenceChannelData) {
        this.sdk = new Pusher(appId, key, secret);
        this.presenceChannelData = presenceChannelData;
    }

    @Override
    public String authorize(String channelName, String socketId) {
        if (channelName.startsWith("presence-")) {
            try {
                com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
                @SuppressWarnings("unchecked")
                java.util.Map<String, Object> data = m.readValue(presenceChannelData, java.util.Map.class);
                Object id = data.get("user_id");
                Object info = data.get("user_info");
                com.pusher.rest.data.PresenceUser user = id instanceof Number n
                        ? new com.pusher.rest.data.PresenceUser(n, info)
                        : new com.pusher.rest.data.PresenceUser(String.valueOf(id), info);
                return sdk.authenticate(socketId, channelName, user);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(e);
            }
        }
        return sdk.authenticate(socketId, channelName);
    }
}
