package dev.pushserver.bench.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pushserver.bench.Target;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A few signed HTTP API calls off the hot path (checks after a run), with the JDK's HTTP client. */
public final class ControlApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Target target;
    private final Signer signer;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ControlApi(Target target) {
        this.target = target;
        this.signer = new Signer(target.appId, target.key, target.secret);
    }

    /** GET /apps/{id}/channels/{name}/users as the list of user ids. */
    public java.util.List<String> users(String channel) throws IOException, InterruptedException {
        JsonNode n = get("/apps/" + target.appId + "/channels/" + channel + "/users", null);
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (JsonNode u : n.path("users")) {
            ids.add(u.path("id").asText());
        }
        return ids;
    }

    /** GET with a signed query; {@code extraQuery} must be sorted after {@code auth_version} (e.g. info=...). */
    public synchronized JsonNode get(String path, String extraQuery) throws IOException, InterruptedException {
        String uri = signer.signedUri("GET", path, null, extraQuery);
        // the path itself is sent encoded, the signature was computed over the decoded path
        String encodedPath = encodePath(uri.substring(0, uri.indexOf('?')));
        URI u = URI.create("http://" + target.host + ":" + target.apiPort() + encodedPath
                + uri.substring(uri.indexOf('?')));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** POST a JSON body (used by tests and one-off checks). */
    public synchronized JsonNode post(String path, String body) throws IOException, InterruptedException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String uri = signer.signedUri("POST", path, bytes, null);
        URI u = URI.create("http://" + target.host + ":" + target.apiPort() + uri);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private static String encodePath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String seg : path.split("/", -1)) {
            if (sb.length() > 0 || path.startsWith("/")) {
                sb.append('/');
            }
            sb.append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        String s = sb.toString();
        return s.startsWith("//") ? s.substring(1) : s;
    }
}
