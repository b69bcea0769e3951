package dev.pushserver.transport;

import dev.pushserver.app.App;
import dev.pushserver.app.AppRegistry;
import dev.pushserver.protocol.ErrorCodes;
import dev.pushserver.protocol.LogText;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a WebSocket upgrade request asks for, checked in the order of reference §1: path and app key (4005, 4001),
 * app enabled (4003), the page's {@code Origin} when the app lists allowed origins (4009), protocol version (4008,
 * 4007) and library version (4006). Quota is checked later.
 */
record ConnectionRequest(App app, int protocol, int errorCode, String errorMessage) {

    static final int MIN_PROTOCOL = 4;
    static final int MAX_PROTOCOL = 7;

    /** A path that ends with /app/{key}; any prefix is allowed (pusher-js wsPath, reverse proxies). */
    private static final Pattern PATH = Pattern.compile("^(?:.*/)?app/([^/]+)/?$");
    private static final Pattern VERSION = Pattern.compile("^[0-9A-Za-z][0-9A-Za-z.+_\\-]{0,63}$");

    boolean ok() {
        return errorCode == 0;
    }

    static ConnectionRequest of(String uri, AppRegistry apps) {
        return of(uri, null, apps);
    }

    /** @param origin the request's Origin header, or null (clients that are not browsers send none) */
    static ConnectionRequest of(String uri, String origin, AppRegistry apps) {
        QueryStringDecoder q = new QueryStringDecoder(uri);
        String path;
        try {
            path = q.path();
        } catch (IllegalArgumentException e) {
            return fail(ErrorCodes.PATH_NOT_FOUND, "Path not found: malformed path");
        }
        Matcher m = PATH.matcher(path);
        if (!m.matches()) {
            return fail(ErrorCodes.PATH_NOT_FOUND, "Path not found: connect to /app/{key}");
        }
        App app = apps.byKey(m.group(1));
        if (app == null) {
            return fail(ErrorCodes.APP_NOT_FOUND, "Application does not exist");
        }
        if (!app.config().enabled()) {
            return fail(ErrorCodes.APP_DISABLED, "Application disabled");
        }
        if (origin != null && !originAllowed(app.config().allowedOrigins(), origin)) {
            return fail(ErrorCodes.UNAUTHORIZED, "Origin not allowed: " + LogText.of(origin));
        }
        try {
            q.parameters();
        } catch (IllegalArgumentException e) {
            return fail(ErrorCodes.INVALID_VERSION, "Invalid query string: " + e.getMessage());
        }
        String protocol = first(q, "protocol");
        if (protocol == null || protocol.isEmpty()) {
            return fail(ErrorCodes.NO_PROTOCOL, "No protocol version supplied");
        }
        int version;
        try {
            version = Integer.parseInt(protocol);
        } catch (NumberFormatException e) {
            return fail(ErrorCodes.UNSUPPORTED_PROTOCOL, "Unsupported protocol version: " + protocol);
        }
        if (version < MIN_PROTOCOL || version > MAX_PROTOCOL) {
            return fail(ErrorCodes.UNSUPPORTED_PROTOCOL, "Unsupported protocol version " + version
                    + ": supported are " + MIN_PROTOCOL + " to " + MAX_PROTOCOL);
        }
        String libVersion = first(q, "version");
        if (libVersion != null && !VERSION.matcher(libVersion).matches()) {
            return fail(ErrorCodes.INVALID_VERSION, "Invalid version string format");
        }
        return new ConnectionRequest(app, version, 0, null);
    }

    /**
     * Whether a page at {@code origin} may connect: any when the list is empty, else when one pattern matches it
     * whole, ignoring case, {@code *} standing for any characters ({@code https://*.example.com}).
     */
    static boolean originAllowed(List<String> patterns, String origin) {
        if (patterns.isEmpty()) {
            return true;
        }
        String o = origin.trim().toLowerCase(java.util.Locale.ROOT);
        for (String p : patterns) {
            StringBuilder re = new StringBuilder();
            for (String part : p.toLowerCase(java.util.Locale.ROOT).split("\\*", -1)) {
                if (re.length() > 0 || p.startsWith("*")) {
                    re.append(".*");
                }
                re.append(Pattern.quote(part));
            }
            if (Pattern.matches(re.toString(), o)) {
                return true;
            }
        }
        return false;
    }

    private static String first(QueryStringDecoder q, String name) {
        List<String> v = q.parameters().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static ConnectionRequest fail(int code, String message) {
        return new ConnectionRequest(null, 0, code, message);
    }
}
