package dev.pushserver.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pushserver.protocol.ClientMessage;
import dev.pushserver.protocol.Json;
import dev.pushserver.protocol.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding client messages: the streaming reader the server uses against a Jackson tree parse (what it did before),
 * for a subscribe and a client event; and relaying a client event (decode + the frame for the other subscribers).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class ClientMessageBench {

    private final byte[] subscribe = ("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"private-chat-42\","
            + "\"auth\":\"app-key:0f6c5b3a4e2d1c0b9a8f7e6d5c4b3a291817161514131211100f0e0d0c0b0a09\"}}")
            .getBytes(StandardCharsets.UTF_8);
    private final byte[] clientEvent = ("{\"event\":\"client-typing\",\"channel\":\"private-chat-42\",\"data\":"
            + "{\"user\":\"alice\",\"text\":\"hello there, how are you today?\",\"n\":12345}}")
            .getBytes(StandardCharsets.UTF_8);

    @Benchmark
    public Object subscribeStreaming() {
        ClientMessage m = ClientMessage.parse(subscribe);
        return ClientMessage.text(m.dataObject(), "auth");
    }

    @Benchmark
    public Object subscribeTree() throws IOException {
        JsonNode root = Json.parse(subscribe);
        return root.get("data").get("auth").asText();
    }

    @Benchmark
    public Object clientEventStreaming() {
        return ClientMessage.parse(clientEvent);
    }

    @Benchmark
    public Object clientEventTree() throws IOException {
        return Json.parse(clientEvent);
    }

    /** Decode and the frame relayed to the channel's other subscribers. */
    @Benchmark
    public byte[] clientEventRelay() {
        ClientMessage m = ClientMessage.parse(clientEvent);
        return Messages.clientEvent(m.event(), m.channel(), m, null);
    }
}
