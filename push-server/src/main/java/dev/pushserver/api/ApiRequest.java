package dev.pushserver.api;

/**
 * An HTTP request as the transport received it: method, request target (path and query), body, and the
 * {@code Authorization} header (null when absent; only the admin endpoints read it).
 */
public record ApiRequest(String method, String uri, byte[] body, String authorization) {

    public ApiRequest(String method, String uri, byte[] body) {
        this(method, uri, body, null);
    }
}
