package dev.pushserver.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a request target the API reads: the raw path and the decoded query parameters. Only {@code &}
 * separates parameters ({@code ;} is a channel-name character). Undecodable percent-escapes throw
 * {@link IllegalArgumentException}.
 */
final class Uri {

    /** Parameters beyond this many are ignored. */
    static final int MAX_PARAMS = 1024;

    private Uri() {
    }

    /** The path, still percent-encoded. */
    static String rawPath(String uri) {
        int end = pathEnd(uri);
        return uri.substring(0, end);
    }

    /** Decoded query parameters; a repeated name keeps every value, in order. */
    static Map<String, List<String>> params(String uri) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        int start = pathEnd(uri);
        if (start >= uri.length() || uri.charAt(start) != '?') {
            return out;
        }
        int hash = uri.indexOf('#', start);
        int end = hash < 0 ? uri.length() : hash;
        int count = 0;
        for (int at = start + 1; at < end; ) {
            int amp = uri.indexOf('&', at);
            int pairEnd = amp < 0 || amp > end ? end : amp;
            if (pairEnd > at) {
                if (++count > MAX_PARAMS) {
                    break;
                }
                int eq = uri.indexOf('=', at);
                boolean hasValue = eq >= 0 && eq < pairEnd;
                String name = decodeQuery(uri.substring(at, hasValue ? eq : pairEnd));
                if (!name.isEmpty()) {
                    String value = hasValue ? decodeQuery(uri.substring(eq + 1, pairEnd)) : "";
                    // one value is the rule: an immutable one-element list, grown only for a repeated name
                    out.merge(name, List.of(value), (a, b) -> {
                        List<String> all = new ArrayList<>(a);
                        all.addAll(b);
                        return all;
                    });
                }
            }
            at = pairEnd + 1;
        }
        return out;
    }

    /** Percent-decodes a path segment; unlike in a query a '+' stays a '+'. */
    static String decodePath(String s) {
        return s.indexOf('%') < 0 ? s : URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String decodeQuery(String s) {
        return s.indexOf('%') < 0 && s.indexOf('+') < 0 ? s : URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static int pathEnd(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                return i;
            }
        }
        return uri.length();
    }
}
