package dev.pushserver.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Client-to-server protocol messages built with Jackson (so escaping is right), shaped as pusher-js and the Java
 * client send them. Signed variants use {@link Signing}.
 */
public final class Messages {

    private static final ObjectMapper JSON = RawClient.json();

    public static final String PING = "{\"event\":\"pusher:ping\",\"data\":{}}";

    private Messages() {
    }

    /** pusher-js style public subscribe: {@code auth:""}, data as an object. */
    public static String subscribe(String channel) {
        return subscribe(channel, "", null);
    }

    /** Public subscribe without an {@code auth} field, as the Java client sends it. */
    public static String subscribeWithoutAuth(String channel) {
        return subscribe(channel, null, null);
    }

    public static String subscribe(String channel, String auth) {
        return subscribe(channel, auth, null);
    }

    /** Subscribe with data as an object; {@code auth} and {@code channelData} (a JSON string value) only when not null. */
    public static String subscribe(String channel, String auth, String channelData) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", "pusher:subscribe");
        ObjectNode data = root.putObject("data");
        data.put("channel", channel);
        if (auth != null) {
            data.put("auth", auth);
        }
        if (channelData != null) {
            data.put("channel_data", channelData);
        }
        return root.toString();
    }

    /** Private / private-encrypted / presence-without-channel_data subscribe signed over socket:channel. */
    public static String subscribeSigned(String key, String secret, String socketId, String channel) {
        return subscribe(channel, Signing.channelAuth(key, secret, socketId, channel), null);
    }

    /** Presence subscribe signed over socket:channel:channel_data. */
    public static String subscribePresence(String key, String secret, String socketId, String channel,
            String channelData) {
        return subscribe(channel, Signing.channelAuth(key, secret, socketId, channel, channelData), channelData);
    }

    public static String unsubscribe(String channel) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", "pusher:unsubscribe");
        root.putObject("data").put("channel", channel);
        return root.toString();
    }

    /** pusher:signin with this auth token and user_data string. */
    public static String signinMessage(String auth, String userData) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", "pusher:signin");
        ObjectNode data = root.putObject("data");
        data.put("auth", auth);
        data.put("user_data", userData);
        return root.toString();
    }

    /** A correctly signed pusher:signin for this socket. */
    public static String signin(String key, String secret, String socketId, String userData) {
        return signinMessage(Signing.userAuth(key, secret, socketId, userData), userData);
    }

    /** A client event as pusher-js sends it: {@code data} is whatever JSON {@code rawDataJson} holds. */
    public static String clientEvent(String event, String channel, String rawDataJson) {
        return "{\"event\":" + quote(event) + ",\"channel\":" + quote(channel) + ",\"data\":" + rawDataJson + "}";
    }

    /** A client event as the Java client sends it: {@code data} is a JSON string value. */
    public static String clientEventWithStringData(String event, String channel, String data) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", event);
        root.put("channel", channel);
        root.put("data", data);
        return root.toString();
    }

    /** {@code s} as a JSON string literal. */
    public static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
