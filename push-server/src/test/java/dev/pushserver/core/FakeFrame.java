package dev.pushserver.core;

import dev.pushserver.session.Frame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A frame that counts its references, so that tests can check fan-out releases everything it retains. */
final class FakeFrame implements Frame {

    final String text;
    private final AtomicInteger refs = new AtomicInteger(1);

    private FakeFrame(byte[] message) {
        this.text = new String(message, StandardCharsets.UTF_8);
    }

    @Override
    public Frame retain() {
        if (refs.getAndIncrement() <= 0) {
            throw new AssertionError("retained after release: " + text);
        }
        return this;
    }

    @Override
    public void release() {
        if (refs.decrementAndGet() < 0) {
            throw new AssertionError("released too often: " + text);
        }
    }

    int refs() {
        return refs.get();
    }

    /** Encodes into fake frames and remembers them all. */
    static final class Encoder implements Frame.Encoder {
        final List<FakeFrame> made = new CopyOnWriteArrayList<>();

        @Override
        public Frame encode(byte[] message) {
            FakeFrame f = new FakeFrame(message);
            made.add(f);
            return f;
        }

        /** Frames still referenced by someone. */
        List<String> live() {
            return made.stream().filter(f -> f.refs() != 0).map(f -> f.text + " (" + f.refs() + ")").toList();
        }
    }
}
