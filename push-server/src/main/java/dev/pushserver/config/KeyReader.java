package dev.pushserver.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Typed access to one mapping; values may arrive as YAML scalars or as strings from the environment. */
record KeyReader(ObjectNode node, String path) {

    private static final Pattern APP_TOKEN = Pattern.compile("[A-Za-z0-9_\\-=@,.;]+");

    String string(String key, String def) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            if (def == null) {
                throw new ConfigException("config key " + path + key + ": is required" + (path.startsWith("apps[")
                        ? " (a configured app needs id, key and secret; only with no app configured at all does"
                                + " the server run its dev app)" : ""));
            }
            return def;
        }
        if (!v.isValueNode()) {
            throw new ConfigException("config key " + path + key + ": must be a single value, got " + v);
        }
        String s = v.asText().trim();
        if (s.isEmpty()) {
            throw new ConfigException("config key " + path + key + ": must not be empty");
        }
        return s;
    }

    String token(String key) {
        String s = string(key, null);
        if (!APP_TOKEN.matcher(s).matches() || s.length() > 200) {
            throw new ConfigException("config key " + path + key + ": '" + s
                    + "' may only contain A-Z a-z 0-9 _ - = @ , . ; (at most 200 characters)");
        }
        return s;
    }

    int integer(String key, int min, int max) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw new ConfigException("config key " + path + key + ": is required");
        }
        return parseInt(key, v, min, max);
    }

    int integer(String key, int def, int min, int max) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? def : parseInt(key, v, min, max);
    }

    private int parseInt(String key, JsonNode v, int min, int max) {
        long value;
        if (v.isIntegralNumber()) {
            if (!v.canConvertToLong()) {
                throw new ConfigException("config key " + path + key + ": must be between " + min + " and "
                        + max + ", got " + v.asText());
            }
            value = v.asLong();
        } else if (v.isTextual()) {
            try {
                value = Long.parseLong(v.asText().trim());
            } catch (NumberFormatException e) {
                throw new ConfigException("config key " + path + key + ": must be a whole number, got '"
                        + v.asText() + "'");
            }
        } else {
            throw new ConfigException("config key " + path + key + ": must be a whole number, got " + v);
        }
        if (value < min || value > max) {
            throw new ConfigException("config key " + path + key + ": must be between " + min + " and " + max
                    + ", got " + value);
        }
        return (int) value;
    }

    boolean bool(String key, boolean def) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return def;
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        String s = v.asText().trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new ConfigException("config key " + path + key + ": must be true or false, got '"
                    + v.asText() + "'");
        };
    }

    /** An optional string (null when absent or empty). */
    String optional(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode()) {
            throw new ConfigException("config key " + path + key + ": must be a single value, got " + v);
        }
        String s = v.asText().trim();
        return s.isEmpty() ? null : s;
    }

    /** A list of strings, written as a YAML list or (from the environment) comma-separated; null when absent. */
    List<String> strings(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isValueNode() || e.asText().isBlank()) {
                    throw new ConfigException("config key " + path + key + ": must be a list of names, got " + v);
                }
                out.add(e.asText().trim());
            }
        } else if (v.isValueNode()) {
            for (String part : v.asText().split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        } else {
            throw new ConfigException("config key " + path + key + ": must be a list of names, got " + v);
        }
        return out;
    }
}
