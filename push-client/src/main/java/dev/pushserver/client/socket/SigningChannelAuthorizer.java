package dev.pushserver.client.socket;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pushserver.client.PushApi;
import java.util.concurrent.CompletableFuture;

/**
 * Signs channel subscriptions in process with the app secret: for a backend service that holds the secret anyway.
 * Presence channels get the member given here ({@code channel_data} = {@code {"user_id":..,"user_info":..}}).
 */
public final class SigningChannelAuthorizer implements ChannelAuthorizer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String key;
    private final String secret;
    private final String channelData;
    private byte[] masterKey;

    /** For public and private channels only. */
    public SigningChannelAuthorizer(String key, String secret) {
        this(key, secret, null, null);
    }

    /**
     * @param userId   this client's presence identity
     * @param userInfo its user_info as a JSON object text, or null
     */
    public SigningChannelAuthorizer(String key, String secret, String userId, String userInfo) {
        this.key = key;
        this.secret = secret;
        if (userId == null) {
            this.channelData = null;
        } else {
            ObjectNode cd = JSON.createObjectNode().put("user_id", userId);
            try {
                if (userInfo != null) {
                    cd.set("user_info", JSON.readTree(userInfo));
                }
            } catch (Exception e) {
                throw new IllegalArgumentException("userInfo must be a JSON object: " + e.getMessage(), e);
            }
            this.channelData = cd.toString();
        }
    }

    /**
     * Also signs {@code private-encrypted-} channels: their {@code shared_secret} is derived from this 32-byte master
     * key (base64) as Pusher does, SHA-256 of the channel name followed by the key.
     */
    public SigningChannelAuthorizer encryptionMasterKey(String base64) {
        byte[] k = java.util.Base64.getDecoder().decode(base64);
        if (k.length != 32) {
            throw new IllegalArgumentException("the encryption master key must be 32 bytes (base64), not " + k.length);
        }
        this.masterKey = k;
        return this;
    }

    @Override
    public CompletableFuture<String> authorize(String socketId, String channel) {
        boolean presence = channel.startsWith("presence-");
        if (presence && channelData == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "a presence channel needs a user: build the authorizer with a user id"));
        }
        if (channel.startsWith("private-encrypted-") && masterKey == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "an encrypted channel needs the encryption master key: see encryptionMasterKey"));
        }
        return CompletableFuture.completedFuture(
                PushApi.channelAuth(key, secret, socketId, channel, presence ? channelData : null, masterKey));
    }
}
