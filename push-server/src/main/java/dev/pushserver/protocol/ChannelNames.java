package dev.pushserver.protocol;

/** Channel and event name rules (reference §3.2). */
public final class ChannelNames {

    private ChannelNames() {
    }

    /** {@code [A-Za-z0-9_\-=@,.;]+}, checked without regex on the hot path. */
    public static boolean validChars(String s, int from) {
        if (s.length() <= from) {
            return false;
        }
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '-' || c == '=' || c == '@' || c == ',' || c == '.' || c == ';';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why a channel name is not acceptable, or null when it is. {@code #server-to-user-<id>} is accepted only when
     * {@code allowServerToUser} (the HTTP API, or a signed-in client subscribing to its own channel).
     */
    public static String problem(String name, int maxLength, boolean allowServerToUser) {
        if (name == null || name.isEmpty()) {
            return "Channel name is missing";
        }
        if (name.length() > maxLength) {
            return "Channel name is too long: " + name.length() + " characters, the maximum is " + maxLength;
        }
        if (name.startsWith("#")) {
            if (!allowServerToUser || !name.startsWith(ChannelType.SERVER_TO_USER_PREFIX)
                    || !validChars(name, ChannelType.SERVER_TO_USER_PREFIX.length())) {
                return "Invalid channel name '" + name + "': '#' is reserved for internal channels";
            }
            return null;
        }
        if (!validChars(name, 0)) {
            return "Invalid channel name '" + name + "': only A-Z a-z 0-9 _ - = @ , . ; are allowed";
        }
        return null;
    }

    /** A valid user id: the channel name alphabet, 1-128 characters. */
    public static boolean validUserId(String id) {
        return id != null && id.length() <= 128 && validChars(id, 0);
    }

    /** socket_id format every SDK validates: {@code ^\d+\.\d+$}. */
    public static boolean validSocketId(String s) {
        if (s == null) {
            return false;
        }
        int dot = s.indexOf('.');
        if (dot <= 0 || dot == s.length() - 1) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (i != dot && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }
}
