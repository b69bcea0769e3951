package dev.pushserver.protocol;

/**
 * Client-supplied text made safe for one log line: control characters and line breaks are escaped (a client cannot
 * forge a log line) and long values are cut.
 */
public final class LogText {

    /** Characters of a client value kept in a log line. */
    static final int MAX = 120;

    private LogText() {
    }

    public static String of(String s) {
        if (s == null) {
            return "null";
        }
        int n = Math.min(s.length(), MAX);
        StringBuilder out = new StringBuilder(n + 16);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029
                    || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (s.length() > MAX) {
            out.append("...(").append(s.length()).append(" chars)");
        }
        return out.toString();
    }
}
