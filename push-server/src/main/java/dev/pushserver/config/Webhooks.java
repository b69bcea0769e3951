package dev.pushserver.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Reads an app's {@code webhooks:} list; every problem names its key. */
final class Webhooks {

    static final List<String> KEYS = List.of("url", "event_types", "filter", "headers");
    static final List<String> FILTER_KEYS = List.of("channel_prefix", "channel_suffix", "channel_pattern");
    /** Headers the server sets itself (or the HTTP client refuses to take from configuration). */
    private static final Set<String> SET_BY_SERVER = Set.of("content-type", "content-length", "x-pusher-key",
            "x-pusher-signature", "host", "connection", "expect", "upgrade", "transfer-encoding");

    private Webhooks() {
    }

    static List<WebhookConfig> read(ObjectNode app, String appPath) {
        JsonNode list = app.get("webhooks");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new ConfigException("config key " + appPath + "webhooks: must be a list of webhooks");
        }
        List<WebhookConfig> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String path = appPath + "webhooks[" + i + "].";
            if (!(list.get(i) instanceof ObjectNode hook)) {
                throw new ConfigException("config key " + appPath + "webhooks[" + i + "]: must be a mapping with a url");
            }
            out.add(one(hook, path));
        }
        return out;
    }

    private static WebhookConfig one(ObjectNode hook, String path) {
        reject(hook, KEYS, path);
        KeyReader r = new KeyReader(hook, path);
        String url = r.string("url", null);
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigException("config key " + path + "url: '" + url + "' is not a valid URL: " + e.getReason());
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new ConfigException("config key " + path + "url: '" + url
                    + "' must be an absolute http:// or https:// URL");
        }
        List<String> types = r.strings("event_types");
        if (types != null && types.isEmpty()) {
            throw new ConfigException("config key " + path + "event_types: empty, so the webhook would receive "
                    + "nothing; list event types, or leave the key out for all of them");
        }
        Set<String> eventTypes = new LinkedHashSet<>(types == null ? WebhookConfig.EVENT_TYPES : types);
        for (String t : eventTypes) {
            if (!WebhookConfig.EVENT_TYPES.contains(t)) {
                throw new ConfigException("config key " + path + "event_types: unknown event type '" + t
                        + "' (known: " + String.join(", ", WebhookConfig.EVENT_TYPES) + ")");
            }
        }
        String prefix = null;
        String suffix = null;
        Pattern pattern = null;
        JsonNode filter = hook.get("filter");
        if (filter != null && !filter.isNull()) {
            if (!(filter instanceof ObjectNode f)) {
                throw new ConfigException("config key " + path + "filter: must be a mapping of "
                        + String.join(", ", FILTER_KEYS));
            }
            reject(f, FILTER_KEYS, path + "filter.");
            KeyReader fr = new KeyReader(f, path + "filter.");
            prefix = fr.optional("channel_prefix");
            suffix = fr.optional("channel_suffix");
            String regex = fr.optional("channel_pattern");
            if (regex != null) {
                try {
                    pattern = Pattern.compile(regex);
                } catch (PatternSyntaxException e) {
                    throw new ConfigException("config key " + path + "filter.channel_pattern: '" + regex
                            + "' is not a valid regular expression: " + e.getDescription());
                }
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode h = hook.get("headers");
        if (h != null && !h.isNull()) {
            if (!h.isObject()) {
                throw new ConfigException("config key " + path + "headers: must be a mapping of header names to "
                        + "values");
            }
            Iterator<Map.Entry<String, JsonNode>> it = h.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+") || !e.getValue().isValueNode()
                        || e.getValue().asText().contains("\n") || e.getValue().asText().contains("\r")) {
                    throw new ConfigException("config key " + path + "headers." + name
                            + ": must be a valid header name with a one-line value");
                }
                String lower = name.toLowerCase(Locale.ROOT);
                if (SET_BY_SERVER.contains(lower)) {
                    throw new ConfigException("config key " + path + "headers." + name
                            + ": is set by the server and cannot be configured");
                }
                headers.put(name, e.getValue().asText());
            }
        }
        return new WebhookConfig(uri, eventTypes, prefix, suffix, pattern, headers);
    }

    private static void reject(ObjectNode node, List<String> known, String path) {
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
