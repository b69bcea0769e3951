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
            "http_header_timeout", "http_body_timeout", "http_idle_timeout", "max_concurrent_request_bodies",
            "data_dir", "webhook_batch_ms", "webhook_batch_max", "webhook_timeout", "webhook_retry_period",
            "webhook_workers", "webhook_vacate_delay_ms", "hook_handlers", "admin_token", "pending_timeout",
            "redis_url", "redis_prefix", "redis_cluster", "node_id", "node_timeout", "demo", "metrics", "metrics_port", "metrics_token", "tls_cert", "tls_key",
            "tls_reload_interval", "console", "transport", "apps");

    /** Per-app keys. */
    static final List<String> APP_KEYS = List.of("id", "key", "secret", "enabled", "enable_client_messages",
            "max_connections", "max_client_events_per_second", "max_presence_members", "max_presence_member_size",
            "max_event_payload", "max_channels_per_trigger", "max_events_per_batch", "max_channel_name_length",
            "max_event_name_length", "enable_user_authentication", "require_authorization", "authorization_timeout",
            "enable_watchlist_events", "max_watchlist_size", "enable_subscription_count", "enable_cache_channels",
            "cache_ttl", "max_channels_per_connection", "max_messages_per_second", "max_subscriptions_per_second",
            "max_channels_per_query", "max_backend_events_per_second", "max_read_requests_per_second", "webhooks",
            "allowed_origins");

    /**
     * The app a server runs when no app is configured at all (not in a file, not in the environment): well-known
     * credentials, client events on, for trying things out on one machine. A configured app never inherits from it.
     */
    static final String DEV_APP = "{\"id\":\"app-id\",\"key\":\"app-key\",\"secret\":\"app-secret\","
            + "\"enable_client_messages\":true}";

    /** PUSH_ variables read elsewhere (logback.xml), not config keys. */
    private static final Set<String> NOT_CONFIG = Set.of("LOG_LEVEL");
    private static final Pattern ENV_APP = Pattern.compile("APPS_(\\d+)_(.+)");
    private static final Pattern ENV_WEBHOOK = Pattern.compile("webhooks_(\\d+)_(.+)");
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
                Matcher hook = ENV_WEBHOOK.matcher(key);
                if (hook.matches()) {
                    ObjectNode app = appAt(tree, Integer.parseInt(m.group(1)), name);
                    setWebhookKey(app, Integer.parseInt(hook.group(1)), hook.group(2), e.getValue(), name, warnings);
                    continue;
                }
                if (!APP_KEYS.contains(key)) {
                    warnings.add("ignoring environment variable " + name + ": apps have no key '" + key + "'");
                    continue;
                }
                appAt(tree, Integer.parseInt(m.group(1)), name).set(key, TextNode.valueOf(e.getValue()));
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

    /** apps[index], created when it is the next one; {@code variable} names the setting in errors. */
    private static ObjectNode appAt(ObjectNode tree, int index, String variable) {
        JsonNode appsNode = tree.get("apps");
        ArrayNode apps = appsNode instanceof ArrayNode a ? a : tree.putArray("apps");
        return elementAt(apps, index, variable, "apps");
    }

    private static ObjectNode elementAt(ArrayNode list, int index, String variable, String what) {
        if (index > list.size()) {
            throw new ConfigException("environment variable " + variable + ": " + what + "[" + index
                    + "] cannot be set before " + what + "[" + list.size() + "] exists");
        }
        ObjectNode element = index == list.size() ? list.addObject()
                : list.get(index) instanceof ObjectNode o ? o : null;
        if (element == null) {
            throw new ConfigException(what + "[" + index + "] must be a mapping");
        }
        return element;
    }

    /**
     * {@code PUSH_APPS_<n>_WEBHOOKS_<m>_<KEY>}: URL, EVENT_TYPES (comma-separated), FILTER_CHANNEL_PREFIX,
     * FILTER_CHANNEL_SUFFIX, FILTER_CHANNEL_PATTERN, HEADERS_<NAME> (underscores in the name become dashes).
     */
    private static void setWebhookKey(ObjectNode app, int index, String key, String value, String variable,
            List<String> warnings) {
        JsonNode hooksNode = app.get("webhooks");
        ArrayNode hooks = hooksNode instanceof ArrayNode a ? a : app.putArray("webhooks");
        ObjectNode hook = elementAt(hooks, index, variable, "webhooks");
        if (key.startsWith("filter_") && Webhooks.FILTER_KEYS.contains(key.substring("filter_".length()))) {
            JsonNode f = hook.get("filter");
            ObjectNode filter = f instanceof ObjectNode o ? o : hook.putObject("filter");
            filter.set(key.substring("filter_".length()), TextNode.valueOf(value));
        } else if (key.startsWith("headers_") && key.length() > "headers_".length()) {
            JsonNode h = hook.get("headers");
            ObjectNode headers = h instanceof ObjectNode o ? o : hook.putObject("headers");
            headers.set(key.substring("headers_".length()).replace('_', '-'), TextNode.valueOf(value));
        } else if (key.equals("url") || key.equals("event_types")) {
            hook.set(key, TextNode.valueOf(value));
        } else {
            warnings.add("ignoring environment variable " + variable + ": webhooks have no key '" + key + "'");
        }
    }

    static ServerConfig bind(ObjectNode tree) {
        rejectUnknown(tree, SERVER_KEYS, "");
        KeyReader r = new KeyReader(tree, "");
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

        HookSettings hooks = new HookSettings(
                Path.of(r.string("data_dir", "./data")),
                r.integer("webhook_batch_ms", 0, 60_000),
                r.integer("webhook_batch_max", 1, 10_000),
                r.integer("webhook_timeout", 1, 600),
                r.integer("webhook_retry_period", 0, 7 * 86_400),
                r.integer("webhook_workers", 0, 1_024),
                r.integer("webhook_vacate_delay_ms", 0, 60_000),
                r.strings("hook_handlers") == null ? List.of() : r.strings("hook_handlers"),
                r.optional("admin_token"),
                r.integer("pending_timeout", 2, 3_600));
        String redisUrl = r.optional("redis_url");
        if (redisUrl != null && java.util.Arrays.stream(redisUrl.split(",")).map(String::trim)
                .anyMatch(u -> !(u.startsWith("redis://") || u.startsWith("rediss://")))) {
            throw new ConfigException("config key redis_url: '" + RedisSettings.safeUrl(redisUrl)
                    + "' must start with redis:// or rediss://");
        }
        String prefix = r.string("redis_prefix", "push:");
        if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
            throw new ConfigException("config key redis_prefix: '" + prefix + "' must not contain { or } (the keys "
                    + "of one app carry a {hash tag} so that Redis Cluster keeps them in one slot)");
        }
        String nodeId = r.optional("node_id");
        if (nodeId != null && !nodeId.matches("[A-Za-z0-9_.:-]{1,64}")) {
            throw new ConfigException("config key node_id: '" + nodeId + "' must be 1-64 letters, digits or _ . : -");
        }
        RedisSettings redis = new RedisSettings(redisUrl, prefix, nodeId == null ? RedisSettings.generatedNodeId()
                : nodeId, r.integer("node_timeout", 2, 3_600), r.bool("redis_cluster", false));

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
            KeyReader a = new KeyReader(app, path);
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
                    a.integer("max_channels_per_query", 10_000, 1, 10_000_000),
                    a.integer("max_backend_events_per_second", 0, 0, 100_000_000),
                    a.integer("max_read_requests_per_second", 0, 0, 100_000_000),
                    Webhooks.read(app, path),
                    origins(a.strings("allowed_origins"), path));
            if (!ids.add(cfg.id())) {
                throw new ConfigException("config key " + path + "id: '" + cfg.id() + "' is used by two apps");
            }
            if (!keys.add(cfg.key())) {
                throw new ConfigException("config key " + path + "key: '" + cfg.key() + "' is used by two apps");
            }
            apps.add(cfg);
        }
        return new ServerConfig(host, port, apiPort, activity, pong, maxFrame, maxBody, maxOutbound, grace, threads,
                network, hooks, redis, apps, devApp, r.bool("demo", false), operations(r));
    }

    private static String transport(KeyReader r) {
        String t = r.string("transport", "auto");
        if (!List.of("auto", "io_uring", "epoll", "nio").contains(t)) {
            throw new ConfigException("config key transport: '" + t + "' must be auto, io_uring, epoll or nio");
        }
        return t;
    }

    private static Operations operations(KeyReader r) {
        String cert = r.optional("tls_cert");
        String key = r.optional("tls_key");
        if ((cert == null) != (key == null)) {
            throw new ConfigException("config keys tls_cert and tls_key: set both (PEM certificate chain and its "
                    + "private key) or neither");
        }
        String token = r.optional("metrics_token");
        return new Operations(r.bool("metrics", true), r.integer("metrics_port", 0, 65535),
                token == null || token.isBlank() ? null : token,
                cert == null ? null : Path.of(cert), key == null ? null : Path.of(key),
                r.integer("tls_reload_interval", 0, 86_400), r.bool("console", true), transport(r));
    }

    /** Origins as a browser sends them: scheme://host[:port], with {@code *} standing for any characters. */
    private static List<String> origins(List<String> listed, String path) {
        if (listed == null) {
            return List.of();
        }
        for (String o : listed) {
            if (o.isBlank() || !(o.equals("*") || o.matches("(?i)(\\*|[a-z][a-z0-9+.-]*)://[^/\\s]+"))) {
                throw new ConfigException("config key " + path + "allowed_origins: '" + o + "' must look like "
                        + "https://example.com, https://*.example.com or http://localhost:3000");
            }
        }
        return List.copyOf(listed);
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
}
