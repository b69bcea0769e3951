package dev.pushserver.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a {@link ServerConfig} from, in rising precedence: the embedded defaults, a YAML file, environment variables
 * ({@code PUSH_<KEY>}, {@code PUSH_APPS_<n>_<KEY>}) and command-line overrides. Every value is validated and a bad one
 * fails with a message naming its key.
 */
public final class ConfigLoader {

    public static final String ENV_PREFIX = "PUSH_";

    /** Server-level keys, in the order the README documents them. */
    static final List<String> SERVER_KEYS = List.of("host", "port", "api_port", "activity_timeout", "pong_timeout",
            "max_frame_size", "max_request_body_size", "max_outbound_buffer", "shutdown_grace_period",
            "event_loop_threads", "max_connections", "max_connections_per_ip", "max_new_connections_per_ip_per_second",
            "http_header_timeout", "http_body_timeout", "http_idle_timeout", "max_concurrent_request_bodies", "apps");

    /** Per-app keys. */
    static final List<String> APP_KEYS = List.of("id", "key", "secret", "enabled", "enable_client_messages",
            "max_connections", "max_client_events_per_second", "max_presence_members", "max_presence_member_size",
            "max_event_payload", "max_channels_per_trigger", "max_events_per_batch", "max_channel_name_length",
            "max_event_name_length", "enable_user_authentication", "require_authorization", "authorization_timeout",
            "enable_watchlist_events", "max_watchlist_size", "enable_subscription_count", "enable_cache_channels",
            "cache_ttl", "max_channels_per_connection", "max_messages_per_second", "max_subscriptions_per_second",
            "max_channels_per_query");

    /**
     * The app a server runs when no app is configured at all (not in a file, not in the environment): well-known
     * credentials, client events on, for trying things out on one machine. A configured app never inherits from it.
     */
    static final String DEV_APP = "{\"id\":\"app-id\",\"key\":\"app-key\",\"secret\":\"app-secret\","
            + "\"enable_client_messages\":true}";

    /** PUSH_ variables read elsewhere (logback.xml), not config keys. */
    private static final Set<String> NOT_CONFIG = Set.of("LOG_LEVEL");
    private static final Pattern ENV_APP = Pattern.compile("APPS_(\\d+)_(.+)");
    private static final Pattern APP_TOKEN = Pattern.compile("[A-Za-z0-9_\\-=@,.;]+");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ConfigLoader() {
    }

    /**
     * @param file      optional YAML file
     * @param env       environment variables (normally {@code System.getenv()})
     * @param overrides final overrides by key, e.g. {@code port} from the command line
     * @param warnings  receives non-fatal notes (e.g. unknown PUSH_ variables)
     */
    public static ServerConfig load(Path file, Map<String, String> env, Map<String, String> overrides,
            List<String> warnings) {
        ObjectNode tree = defaults();
        if (file != null) {
            mergeInto(tree, readFile(file));
        }
        applyEnv(tree, env, warnings);
        overrides.forEach((k, v) -> {
            if (v != null) {
                tree.set(k, TextNode.valueOf(v));
            }
        });
        return bind(tree);
    }

    /** Parses YAML text over the embedded defaults; used by tests and embedders. */
    public static ServerConfig fromYaml(String yaml, Map<String, String> env) {
        ObjectNode tree = defaults();
        mergeInto(tree, parse(yaml, "inline config"));
        applyEnv(tree, env, new ArrayList<>());
        return bind(tree);
    }

    static ObjectNode defaults() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream("/default-config.yaml")) {
            return (ObjectNode) YAML.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("embedded default-config.yaml is unreadable", e);
        }
    }

    private static ObjectNode readFile(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage());
        }
    }

    private static ObjectNode parse(String yaml, String source) {
        JsonNode node;
        try {
            node = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        if (node == null || node.isMissingNode() || node.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!node.isObject()) {
            throw new ConfigException(source + " must be a YAML mapping of keys to values");
        }
        return (ObjectNode) node;
    }

    /** Objects merge key by key; anything else (including lists) replaces. */
    static void mergeInto(ObjectNode target, ObjectNode source) {
        Iterator<Map.Entry<String, JsonNode>> it = source.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = target.get(e.getKey());
            if (existing instanceof ObjectNode eo && e.getValue() instanceof ObjectNode so) {
                mergeInto(eo, so);
            } else {
                target.set(e.getKey(), e.getValue());
            }
        }
    }

    static void applyEnv(ObjectNode tree, Map<String, String> env, List<String> warnings) {
        // sorted so that APPS_0 is created before APPS_1 and results do not depend on map order
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(ENV_PREFIX)) {
                continue;
            }
            String rest = name.substring(ENV_PREFIX.length());
            if (NOT_CONFIG.contains(rest)) {
                continue;
            }
            Matcher m = ENV_APP.matcher(rest);
            if (m.matches()) {
                String key = m.group(2).toLowerCase(Locale.ROOT);
                if (!APP_KEYS.contains(key)) {
                    warnings.add("ignoring environment variable " + name + ": apps have no key '" + key + "'");
                    continue;
                }
                int index = Integer.parseInt(m.group(1));
                JsonNode appsNode = tree.get("apps");
                ArrayNode apps = appsNode instanceof ArrayNode a ? a : tree.putArray("apps");
                if (index > apps.size()) {
                    throw new ConfigException("environment variable " + name + ": apps[" + index
                            + "] cannot be set before apps[" + apps.size() + "] exists");
                }
                ObjectNode app = index == apps.size() ? apps.addObject()
                        : apps.get(index) instanceof ObjectNode o ? o : null;
                if (app == null) {
                    throw new ConfigException("apps[" + index + "] must be a mapping");
                }
                app.set(key, TextNode.valueOf(e.getValue()));
                continue;
            }
            String key = rest.toLowerCase(Locale.ROOT);
            if (!SERVER_KEYS.contains(key) || key.equals("apps")) {
                warnings.add("ignoring environment variable " + name + ": there is no config key '" + key + "'");
                continue;
            }
            tree.set(key, TextNode.valueOf(e.getValue()));
        }
    }

    static ServerConfig bind(ObjectNode tree) {
        rejectUnknown(tree, SERVER_KEYS, "");
        Reader r = new Reader(tree, "");
        String host = r.string("host", null);
        int port = r.integer("port", 0, 65535);
        int apiPort = r.integer("api_port", 0, 65535);
        int activity = r.integer("activity_timeout", 1, 86_400);
        int pong = r.integer("pong_timeout", 1, 3_600);
        int maxFrame = r.integer("max_frame_size", 1024, 64 * 1024 * 1024);
        int maxBody = r.integer("max_request_body_size", 1024, 256 * 1024 * 1024);
        int maxOutbound = r.integer("max_outbound_buffer", 64 * 1024, 1024 * 1024 * 1024);
        int grace = r.integer("shutdown_grace_period", 0, 3_600);
        int threads = r.integer("event_loop_threads", 0, 1024);
        ServerConfig.NetworkLimits network = new ServerConfig.NetworkLimits(
                r.integer("max_connections", 0, 10_000_000),
                r.integer("max_connections_per_ip", 0, 10_000_000),
                r.integer("max_new_connections_per_ip_per_second", 0, 10_000_000),
                r.integer("http_header_timeout", 1, 3_600),
                r.integer("http_body_timeout", 1, 3_600),
                r.integer("http_idle_timeout", 1, 86_400),
                r.integer("max_concurrent_request_bodies", 1, 1_000_000));

        JsonNode appsNode = tree.get("apps");
        boolean devApp = appsNode == null || appsNode.isNull();
        if (devApp) {
            try {
                appsNode = tree.putArray("apps").add(YAML.readTree(DEV_APP));
            } catch (IOException e) {
                throw new IllegalStateException("dev app definition is unreadable", e);
            }
        }
        if (!appsNode.isArray() || appsNode.isEmpty()) {
            throw new ConfigException("config key apps: must be a non-empty list of apps");
        }
        List<AppConfig> apps = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < appsNode.size(); i++) {
            String path = "apps[" + i + "].";
            JsonNode n = appsNode.get(i);
            if (!(n instanceof ObjectNode app)) {
                throw new ConfigException("config key apps[" + i + "]: must be a mapping with id, key and secret");
            }
            rejectUnknown(app, APP_KEYS, path);
            Reader a = new Reader(app, path);
            AppConfig cfg = new AppConfig(
                    a.token("id"), a.token("key"), a.string("secret", null),
                    a.bool("enabled", true),
                    a.bool("enable_client_messages", false),
                    a.integer("max_connections", 0, 0, Integer.MAX_VALUE),
                    a.integer("max_client_events_per_second", 10, 1, 1_000_000),
                    a.integer("max_presence_members", 100, 1, 1_000_000),
                    a.integer("max_presence_member_size", 1024, 16, 1024 * 1024),
                    a.integer("max_event_payload", 10_240, 16, 64 * 1024 * 1024),
                    a.integer("max_channels_per_trigger", 100, 1, 100_000),
                    a.integer("max_events_per_batch", 10, 1, 100_000),
                    a.integer("max_channel_name_length", 200, 1, 10_000),
                    a.integer("max_event_name_length", 200, 1, 10_000),
                    a.bool("enable_user_authentication", true),
                    a.bool("require_authorization", false),
                    a.integer("authorization_timeout", 30, 1, 86_400),
                    a.bool("enable_watchlist_events", true),
                    a.integer("max_watchlist_size", 100, 0, 100_000),
                    a.bool("enable_subscription_count", false),
                    a.bool("enable_cache_channels", true),
                    a.integer("cache_ttl", 1800, 1, 7 * 86_400),
                    a.integer("max_channels_per_connection", 200, 1, 1_000_000),
                    a.integer("max_messages_per_second", 300, 1, 1_000_000),
                    a.integer("max_subscriptions_per_second", 100, 1, 1_000_000),
                    a.integer("max_channels_per_query", 10_000, 1, 10_000_000));
            if (!ids.add(cfg.id())) {
                throw new ConfigException("config key " + path + "id: '" + cfg.id() + "' is used by two apps");
            }
            if (!keys.add(cfg.key())) {
                throw new ConfigException("config key " + path + "key: '" + cfg.key() + "' is used by two apps");
            }
            apps.add(cfg);
        }
        return new ServerConfig(host, port, apiPort, activity, pong, maxFrame, maxBody, maxOutbound, grace, threads,
                network, apps, devApp);
    }

    private static void rejectUnknown(ObjectNode node, List<String> known, String path) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new ConfigException("config key " + path + name + ": unknown key (known keys: "
                        + String.join(", ", known) + ")");
            }
        }
    }

    /** Typed access to one mapping; values may arrive as YAML scalars or as strings from the environment. */
    private record Reader(ObjectNode node, String path) {

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
    }
}
