package dev.pushserver.transport;

/**
 * Handed on by the body aggregator in place of a request whose body is over the limit, so that the router answers
 * it (413) in its turn among pipelined requests.
 */
record OversizedRequest(boolean keepAlive, int max) {
}
