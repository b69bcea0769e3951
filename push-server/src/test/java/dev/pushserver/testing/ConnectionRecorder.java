package dev.pushserver.testing;

import com.pusher.client.connection.ConnectionEventListener;
import com.pusher.client.connection.ConnectionState;
import com.pusher.client.connection.ConnectionStateChange;
import org.awaitility.Awaitility;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Records the connection callbacks of the official Java client: every state it enters and every {@code onError}.
 * Register it for {@link ConnectionState#ALL}: {@code client.connect(recorder, ConnectionState.ALL)}.
 */
public final class ConnectionRecorder implements ConnectionEventListener {

    /** One {@code onError} call; {@code code} is null for errors without one. */
    public record Error(String message, String code) {
    }

    private final List<ConnectionState> states = new CopyOnWriteArrayList<>();
    private final List<Error> errorLog = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Error> errors = new LinkedBlockingQueue<>();

    @Override
    public void onConnectionStateChange(ConnectionStateChange change) {
        states.add(change.getCurrentState());
    }

    @Override
    public void onError(String message, String code, Exception e) {
        Error error = new Error(message, code);
        errorLog.add(error);
        errors.add(error);
    }

    /** Every state entered so far, in order (a live view). */
    public List<ConnectionState> states() {
        return states;
    }

    /** The codes of every error so far, in order. */
    public List<String> codes() {
        return errorLog.stream().map(Error::code).toList();
    }

    /**
     * Waits until an error with {@code code} has arrived. pusher-websocket-java handles a close on its socket thread
     * but a pusher:error on its event thread, so {@code onError} may come after the DISCONNECTED state change.
     */
    public void awaitCode(String code) {
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> codes().contains(code));
    }

    /** Every error so far, in order. */
    public List<Error> errors() {
        return List.copyOf(errorLog);
    }

    /** The next error not yet taken, waiting up to {@code seconds}; null if none came. */
    public Error nextError(long seconds) throws InterruptedException {
        return errors.poll(seconds, TimeUnit.SECONDS);
    }
}
