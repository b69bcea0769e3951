package dev.pushserver.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pushserver.testing.SignedRequest;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Small helpers shared by the HTTP API tests (app-1 unless stated). */
final class ApiSupport {

    private static final AtomicInteger MARKERS = new AtomicInteger();

    private ApiSupport() {
    }

    static final String EVENTS = "/apps/app-1/events";
    static final String BATCH = "/apps/app-1/batch_events";

    /** {"name":..,"channels":[..],"data":..} */
    static ObjectNode event(String name, List<String> channels, String data) {
        ObjectNode n = SignedRequest.JSON.createObjectNode().put("name", name);
        ArrayNode a = n.putArray("channels");
        channels.forEach(a::add);
        n.put("data", data);
        return n;
    }

    /** {"name":..,"channel":..,"data":..} (the form PHP sends for one channel, and every batch item) */
    static ObjectNode single(String name, String channel, String data) {
        return SignedRequest.JSON.createObjectNode().put("name", name).put("channel", channel).put("data", data);
    }

    static ObjectNode batch(ObjectNode... items) {
        ObjectNode n = SignedRequest.JSON.createObjectNode();
        ArrayNode a = n.putArray("batch");
        for (ObjectNode i : items) {
            a.add(i);
        }
        return n;
    }

    static SignedRequest.Response trigger(int port, String body) {
        return SignedRequest.post(port, EVENTS, body).send();
    }

    /**
     * Proves that nothing reached the subscribers on {@code channel}: a valid marker event is triggered now and
     * must be the very next channel event each of them sees (events on one connection arrive in order).
     */
    static void assertNothingDelivered(int port, String channel, Subscriber... subscribers) throws Exception {
        String marker = "marker-" + MARKERS.incrementAndGet();
        SignedRequest.Response r = trigger(port, single(marker, channel, "m").toString());
        assertThat(r.status()).as("marker trigger: %s", r).isEqualTo(200);
        for (Subscriber s : subscribers) {
            assertThat(s.eventsBefore(marker)).as("events delivered to %s before the marker", s.socketId)
                    .isEmpty();
        }
    }
}
