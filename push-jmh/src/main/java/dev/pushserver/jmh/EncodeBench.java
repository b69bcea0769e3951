package dev.pushserver.jmh;

import dev.pushserver.protocol.Messages;
import dev.pushserver.protocol.Signatures;
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

/** Encoding an event message once per publication, and the HMAC checks of a private-channel subscribe. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class EncodeBench {

    private final String data = "{\"user\":\"alice\",\"text\":\"hello there, how are you today?\",\"n\":12345}";
    private final String secret = "7ad3773142a6692b25b8";
    private final String signed = "123.456:private-chat-42";
    private final String token = "app-key:" + Signatures.hmacSha256Hex(secret, signed);

    @Benchmark
    public byte[] eventFrame() {
        return Messages.event("new-message", "chat-42", data);
    }

    @Benchmark
    public byte[] pong() {
        return Messages.pong();
    }

    @Benchmark
    public String channelAuthCheck() {
        return Signatures.checkAuthToken("app-key", secret, signed, token);
    }
}
