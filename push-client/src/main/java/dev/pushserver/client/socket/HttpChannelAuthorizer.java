package dev.pushserver.client.socket;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Asks an auth endpoint, as pusher-js does: {@code POST} with a form body {@code socket_id=...&channel_name=...}
 * (plus any extra parameters), expecting {@code 200} and the JSON auth object.
 */
public final class HttpChannelAuthorizer implements ChannelAuthorizer {

    private final URI endpoint;
    private final Map<String, String> headers;
    private final Map<String, String> params;
    private final HttpClient http;

    public HttpChannelAuthorizer(String endpoint) {
        this(endpoint, Map.of(), Map.of());
    }

    /**
     * @param headers sent with every request (e.g. a session cookie or a bearer token)
     * @param params  extra form parameters (e.g. the presence user the endpoint signs for)
     */
    public HttpChannelAuthorizer(String endpoint, Map<String, String> headers, Map<String, String> params) {
        this.endpoint = URI.create(endpoint);
        this.headers = Map.copyOf(headers);
        this.params = Map.copyOf(params);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public CompletableFuture<String> authorize(String socketId, String channel) {
        StringBuilder form = new StringBuilder("socket_id=").append(enc(socketId)).append("&channel_name=")
                .append(enc(channel));
        params.forEach((k, v) -> form.append('&').append(enc(k)).append('=').append(enc(v)));
        HttpRequest.Builder req = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString()));
        headers.forEach(req::header);
        return http.sendAsync(req.build(), HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw new IllegalStateException("auth endpoint " + endpoint + " answered " + r.statusCode() + " for "
                        + channel + ": " + r.body());
            }
            return r.body();
        });
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
