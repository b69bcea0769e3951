package dev.pushserver.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.pusher.rest.data.PresenceUser;
import dev.pushserver.testing.Messages;
import dev.pushserver.testing.RawClient;
import dev.pushserver.testing.SignedRequest;
import dev.pushserver.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A WebSocket subscriber (the JDK client through {@link RawClient}) that subscribes to public, private and presence
 * channels, signing with the official server SDK like an app backend would, and reads the channel events it gets.
 */
final class Subscriber implements AutoCloseable {

    final RawClient ws;
    final String socketId;
    private final com.pusher.rest.Pusher signer;

    private Subscriber(RawClient ws, String socketId, com.pusher.rest.Pusher signer) {
        this.ws = ws;
        this.socketId = socketId;
        this.signer = signer;
    }

    /** Connects to app-1. */
    static Subscriber connect(TestServer server) throws Exception {
        return connect(server, "app-1", "key-1", "secret-1");
    }

    static Subscriber connect(TestServer server, String appId, String key, String secret) throws Exception {
        RawClient ws = RawClient.connect(server.wsUrl(key));
        return new Subscriber(ws, ws.socketId(), new com.pusher.rest.Pusher(appId, key, secret));
    }

    /** Subscribes (signing private / presence channels) and waits for subscription_succeeded. */
    Subscriber subscribe(String channel) throws Exception {
        return subscribe(channel, null);
    }

    /** Subscribes to a presence channel as {@code userId} (a String, or a Number as the SDK allows). */
    Subscriber subscribe(String channel, Object userId) throws Exception {
        String auth = null;
        String channelData = null;
        if (channel.startsWith("presence-")) {
            PresenceUser user = userId instanceof Number n ? new PresenceUser(n, Map.of("name", "user " + n))
                    : new PresenceUser((String) userId, Map.of("name", "user " + userId));
            JsonNode a = SignedRequest.JSON.readTree(signer.authenticate(socketId, channel, user));
            auth = a.get("auth").asText();
            channelData = a.get("channel_data").asText();
        } else if (channel.startsWith("private-")) {
            auth = SignedRequest.JSON.readTree(signer.authenticate(socketId, channel)).get("auth").asText();
        }
        ws.send(Messages.subscribe(channel, auth, channelData));
        JsonNode ok = ws.nextEvent("pusher_internal:subscription_succeeded");
        assertThat(ok.path("channel").asText()).isEqualTo(channel);
        return this;
    }

    /** pusher:signin as {@code userId} (user authentication, reference §2.8), signed like an app backend. */
    Subscriber signIn(String userId, String key, String secret) throws Exception {
        String userData = SignedRequest.JSON.createObjectNode().put("id", userId).toString();
        ws.send(Messages.signin(key, secret, socketId, userData));
        ws.nextEvent("pusher:signin_success");
        return this;
    }

    void unsubscribe(String channel) {
        ws.send(Messages.unsubscribe(channel));
    }

    /** The next channel event (skips pusher: and pusher_internal: messages); fails after 5 s. */
    JsonNode nextEvent() throws Exception {
        long deadline = System.currentTimeMillis() + 5_000;
        while (System.currentTimeMillis() < deadline) {
            String m = ws.next(Math.max(1, deadline - System.currentTimeMillis()));
            if (m == null) {
                break;
            }
            JsonNode n = SignedRequest.JSON.readTree(m);
            String event = n.path("event").asText();
            if (!event.startsWith("pusher:") && !event.startsWith("pusher_internal:")) {
                return n;
            }
        }
        throw new AssertionError("no channel event within 5 s on " + socketId);
    }

    /** Reads channel events until one named {@code marker} and returns the events before it (in order). */
    List<JsonNode> eventsBefore(String marker) throws Exception {
        List<JsonNode> before = new ArrayList<>();
        while (true) {
            JsonNode n = nextEvent();
            if (n.path("event").asText().equals(marker)) {
                return before;
            }
            before.add(n);
        }
    }

    @Override
    public void close() {
        ws.close();
    }
}
