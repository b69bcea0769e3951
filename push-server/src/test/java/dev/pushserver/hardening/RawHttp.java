package dev.pushserver.hardening;

import dev.pushserver.testing.SignedRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 on a plain socket, one request per connection ({@code Connection: close}), so that no pooled connection of
 * an earlier request (maybe closed by an idle timeout) is ever reused, and nothing but the socket needs cleaning up.
 */
final class RawHttp {

    private RawHttp() {
    }

    /** A parsed response; {@code status} -1 when the connection ended before a status line. */
    record Response(int status, Map<String, String> headers, String body) {

        String header(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
        }

        @Override
        public String toString() {
            return status + " " + (body.length() > 300 ? body.substring(0, 300) + "..." : body);
        }
    }

    static Response get(int port, String pathAndQuery) throws IOException {
        return send(port, "GET", pathAndQuery, null);
    }

    /** A request signed as app-1 ({@link SignedRequest}), sent on its own connection. */
    static Response send(int port, SignedRequest signed, String method, byte[] body) throws IOException {
        URI uri = signed.uri();
        return send(port, method, uri.getRawPath() + "?" + uri.getRawQuery(), body);
    }

    static Response send(int port, String method, String pathAndQuery, byte[] body) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(head(method, pathAndQuery, body == null ? -1 : body.length, true));
            if (body != null) {
                s.getOutputStream().write(body);
            }
            s.getOutputStream().flush();
            return read(s.getInputStream());
        }
    }

    /** The request head; {@code contentLength} -1 for none. */
    static byte[] head(String method, String pathAndQuery, long contentLength, boolean close) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(pathAndQuery).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1\r\n");
        if (contentLength >= 0) {
            sb.append("Content-Type: application/json\r\nContent-Length: ").append(contentLength).append("\r\n");
        }
        if (close) {
            sb.append("Connection: close\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Reads one response (body by Content-Length, or to the end of the stream). */
    static Response read(InputStream in) throws IOException {
        String status;
        try {
            status = line(in);
        } catch (IOException e) {
            return new Response(-1, Map.of(), "connection ended: " + e.getMessage());
        }
        if (status == null) {
            return new Response(-1, Map.of(), "connection ended before a response");
        }
        String[] parts = status.split(" ");
        int code = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
            }
        }
        byte[] body;
        String length = headers.get("content-length");
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
        } else {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try {
                in.transferTo(b);
            } catch (SocketTimeoutException e) {
                // whatever came
            }
            body = b.toByteArray();
        }
        return new Response(code, headers, new String(body, StandardCharsets.UTF_8));
    }

    /** One line without CR LF, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c == -1 && b.size() == 0) {
            return null;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
