package dev.pushserver.app;

import dev.pushserver.config.AppConfig;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Apps by key (WebSocket path) and by id (HTTP API path). Backed by the configuration. */
public final class AppRegistry {

    private final Map<String, App> byKey = new LinkedHashMap<>();
    private final Map<String, App> byId = new LinkedHashMap<>();

    public AppRegistry(List<AppConfig> apps) {
        for (AppConfig cfg : apps) {
            App app = new App(cfg);
            byKey.put(cfg.key(), app);
            byId.put(cfg.id(), app);
        }
    }

    public App byKey(String key) {
        return byKey.get(key);
    }

    public App byId(String id) {
        return byId.get(id);
    }

    public Collection<App> all() {
        return byId.values();
    }
}
