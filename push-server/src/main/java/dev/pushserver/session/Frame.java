package dev.pushserver.session;

/**
 * One encoded server message shared by every session it is delivered to (fan-out encodes a message once and writes
 * the same bytes to each recipient). Reference counted: whoever keeps a frame past the call that handed it over
 * retains it and releases it when done.
 */
public interface Frame {

    Frame retain();

    void release();

    /** Encodes messages into frames; supplied by the transport. */
    interface Encoder {
        /** A new frame holding one reference, which the caller releases. */
        Frame encode(byte[] message);
    }
}
