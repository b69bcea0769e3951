package dev.pushserver.api;

/** An HTTP API request as the transport received it: method, request target (path and query) and body. */
public record ApiRequest(String method, String uri, byte[] body) {
}
