package dev.pushserver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Configuration precedence (defaults &lt; file &lt; environment &lt; command line), environment variable mapping and
 * validation messages that name the offending key, as the README documents them.
 */
class ConfigLoaderTest {

    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    private ServerConfig load(String fileYaml, Map<String, String> env, Map<String, String> overrides)
            throws Exception {
        Path file = null;
        if (fileYaml != null) {
            file = dir.resolve("config.yaml");
            Files.writeString(file, fileYaml);
        }
        return ConfigLoader.load(file, env, overrides, warnings);
    }

    private ServerConfig load(String fileYaml, Map<String, String> env) throws Exception {
        return load(fileYaml, env, Map.of());
    }

    private static final String TWO_APPS = """
            apps:
              - id: a1
                key: k1
                secret: s1
              - id: a2
                key: k2
                secret: s2
                enable_client_messages: true
            """;

    // ---- defaults and merging -------------------------------------------------------------------------------------

    @Test
    void defaultsMatchTheReadme() throws Exception {
        ServerConfig c = load(null, Map.of());
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(6001);
        assertThat(c.apiPort()).isZero();
        assertThat(c.separateApiPort()).isFalse();
        assertThat(c.activityTimeoutSeconds()).isEqualTo(120);
        assertThat(c.pongTimeoutSeconds()).isEqualTo(30);
        assertThat(c.maxFrameSize()).isEqualTo(65536);
        assertThat(c.maxRequestBodySize()).isEqualTo(1048576);
        assertThat(c.maxOutboundBuffer()).isEqualTo(1048576);
        assertThat(c.shutdownGraceSeconds()).isEqualTo(10);
        assertThat(c.eventLoopThreads()).isZero();
        assertThat(c.apps()).hasSize(1);
        assertThat(c.devApp()).isTrue();
        AppConfig dev = c.apps().get(0);
        assertThat(dev.id()).isEqualTo("app-id");
        assertThat(dev.key()).isEqualTo("app-key");
        assertThat(dev.secret()).isEqualTo("app-secret");
        assertThat(dev.enabled()).isTrue();
        assertThat(dev.enableClientMessages()).isTrue();
        assertThat(dev.maxConnections()).isZero();
        assertThat(dev.maxClientEventsPerSecond()).isEqualTo(10);
        assertThat(dev.maxPresenceMembers()).isEqualTo(100);
        assertThat(dev.maxPresenceMemberSize()).isEqualTo(1024);
        assertThat(dev.maxEventPayload()).isEqualTo(10240);
        assertThat(dev.maxChannelsPerTrigger()).isEqualTo(100);
        assertThat(dev.maxEventsPerBatch()).isEqualTo(10);
        assertThat(dev.maxChannelNameLength()).isEqualTo(200);
        assertThat(dev.maxEventNameLength()).isEqualTo(200);
        assertThat(dev.enableUserAuthentication()).isTrue();
        assertThat(dev.requireAuthorization()).isFalse();
        assertThat(dev.authorizationTimeout()).isEqualTo(30);
        assertThat(dev.enableWatchlistEvents()).isTrue();
        assertThat(dev.maxWatchlistSize()).isEqualTo(100);
        assertThat(dev.enableSubscriptionCount()).isFalse();
        assertThat(dev.enableCacheChannels()).isTrue();
        assertThat(dev.cacheTtl()).isEqualTo(1800);
        assertThat(warnings).isEmpty();
    }

    @Test
    void fileKeysMergeOverDefaultsAndAFileAppListReplacesTheDevApp() throws Exception {
        ServerConfig c = load("activity_timeout: 60\nmax_frame_size: 4096\n" + TWO_APPS, Map.of());
        assertThat(c.activityTimeoutSeconds()).isEqualTo(60);
        assertThat(c.maxFrameSize()).isEqualTo(4096);
        assertThat(c.port()).as("untouched default").isEqualTo(6001);
        assertThat(c.pongTimeoutSeconds()).as("untouched default").isEqualTo(30);
        assertThat(c.apps()).extracting(AppConfig::key).containsExactly("k1", "k2");
        AppConfig a1 = c.apps().get(0);
        assertThat(a1.enableClientMessages()).as("app default: client events off").isFalse();
        assertThat(a1.enabled()).isTrue();
        assertThat(a1.maxEventPayload()).isEqualTo(10240);
        assertThat(c.apps().get(1).enableClientMessages()).isTrue();
    }

    @Test
    void fileWithoutAppsKeepsTheDevApp() throws Exception {
        ServerConfig c = load("port: 7000\n", Map.of());
        assertThat(c.port()).isEqualTo(7000);
        assertThat(c.apps()).extracting(AppConfig::key).containsExactly("app-key");
    }

    @Test
    void emptyFileMeansDefaults() throws Exception {
        ServerConfig c = load("", Map.of());
        assertThat(c.port()).isEqualTo(6001);
        assertThat(c.apps()).hasSize(1);
    }

    @Test
    void fromYamlMergesOverDefaults() {
        ServerConfig c = ConfigLoader.fromYaml("pong_timeout: 5\n", Map.of());
        assertThat(c.pongTimeoutSeconds()).isEqualTo(5);
        assertThat(c.activityTimeoutSeconds()).isEqualTo(120);
    }

    // ---- environment --------------------------------------------------------------------------------------------

    @Test
    void environmentOverridesTheFileAndCommandLineOverridesTheEnvironment() throws Exception {
        ServerConfig fromEnv = load("port: 7000\nhost: 0.0.0.0\n", Map.of("PUSH_PORT", "7100"));
        assertThat(fromEnv.port()).isEqualTo(7100);
        assertThat(fromEnv.host()).isEqualTo("0.0.0.0");

        ServerConfig fromCli = load("port: 7000\n", Map.of("PUSH_PORT", "7100", "PUSH_HOST", "10.0.0.1"),
                Map.of("port", "7200"));
        assertThat(fromCli.port()).isEqualTo(7200);
        assertThat(fromCli.host()).as("env still applies where the command line says nothing").isEqualTo("10.0.0.1");

        Map<String, String> noOverride = new HashMap<>();
        noOverride.put("port", null); // an option that was not given
        assertThat(load(null, Map.of("PUSH_PORT", "7100"), noOverride).port()).isEqualTo(7100);
    }

    @Test
    void everyServerKeyCanBeSetFromTheEnvironment() throws Exception {
        Map<String, String> env = Map.of(
                "PUSH_HOST", "0.0.0.0",
                "PUSH_PORT", "7001",
                "PUSH_API_PORT", "7002",
                "PUSH_ACTIVITY_TIMEOUT", "60",
                "PUSH_PONG_TIMEOUT", "15",
                "PUSH_MAX_FRAME_SIZE", "2048",
                "PUSH_MAX_REQUEST_BODY_SIZE", "4096",
                "PUSH_MAX_OUTBOUND_BUFFER", "131072",
                "PUSH_SHUTDOWN_GRACE_PERIOD", "3",
                "PUSH_EVENT_LOOP_THREADS", "2");
        ServerConfig c = load(null, env);
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(7001);
        assertThat(c.apiPort()).isEqualTo(7002);
        assertThat(c.separateApiPort()).isTrue();
        assertThat(c.activityTimeoutSeconds()).isEqualTo(60);
        assertThat(c.pongTimeoutSeconds()).isEqualTo(15);
        assertThat(c.maxFrameSize()).isEqualTo(2048);
        assertThat(c.maxRequestBodySize()).isEqualTo(4096);
        assertThat(c.maxOutboundBuffer()).isEqualTo(131072);
        assertThat(c.shutdownGraceSeconds()).isEqualTo(3);
        assertThat(c.eventLoopThreads()).isEqualTo(2);
        assertThat(warnings).isEmpty();
    }

    @Test
    void appKeysFromTheEnvironmentOverrideOneFieldOfAnExistingApp() throws Exception {
        ServerConfig c = load(TWO_APPS, Map.of("PUSH_APPS_1_SECRET", "new-secret", "PUSH_APPS_0_ENABLED", "false",
                "PUSH_APPS_0_MAX_CONNECTIONS", "5"));
        assertThat(c.apps().get(1).secret()).isEqualTo("new-secret");
        assertThat(c.apps().get(1).key()).as("other fields kept").isEqualTo("k2");
        assertThat(c.apps().get(1).enableClientMessages()).isTrue();
        assertThat(c.apps().get(0).enabled()).isFalse();
        assertThat(c.apps().get(0).maxConnections()).isEqualTo(5);
        assertThat(c.apps().get(0).secret()).isEqualTo("s1");
    }

    @Test
    void anAppConfiguredOnlyFromTheEnvironmentReplacesTheDevAppWithNormalDefaults() throws Exception {
        ServerConfig c = load(null, Map.of("PUSH_APPS_0_ID", "123", "PUSH_APPS_0_KEY", "my-key",
                "PUSH_APPS_0_SECRET", "my-secret"));
        assertThat(c.apps()).hasSize(1);
        assertThat(c.devApp()).as("a configured app is not the dev app").isFalse();
        AppConfig app = c.apps().get(0);
        assertThat(app.id()).isEqualTo("123");
        assertThat(app.key()).isEqualTo("my-key");
        assertThat(app.secret()).isEqualTo("my-secret");
        assertThat(app.enableClientMessages()).as("nothing inherited from the dev app").isFalse();
    }

    @Test
    void anIndexOnePastTheEndAddsAnApp() throws Exception {
        ServerConfig c = load(null, Map.of("PUSH_APPS_0_ID", "first", "PUSH_APPS_0_KEY", "first-key",
                "PUSH_APPS_0_SECRET", "first-secret", "PUSH_APPS_1_ID", "second", "PUSH_APPS_1_KEY", "second-key",
                "PUSH_APPS_1_SECRET", "second-secret"));
        assertThat(c.apps()).extracting(AppConfig::id).containsExactly("first", "second");
        AppConfig added = c.apps().get(1);
        assertThat(added.key()).isEqualTo("second-key");
        assertThat(added.secret()).isEqualTo("second-secret");
        assertThat(added.enabled()).isTrue();
        assertThat(added.enableClientMessages()).isFalse();
    }

    @Test
    void anAppConfiguredWithOnlyASecretIsRejectedNamingTheMissingKey() {
        assertThatThrownBy(() -> load(null, Map.of("PUSH_APPS_0_SECRET", "s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("apps[0].id")
                .hasMessageContaining("needs id, key and secret");
        assertThatThrownBy(() -> load(null, Map.of("PUSH_APPS_0_ID", "x", "PUSH_APPS_0_SECRET", "s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("apps[0].key");
    }

    @Test
    void anIndexWithAGapIsRejectedNamingTheVariable() {
        assertThatThrownBy(() -> load(null, Map.of("PUSH_APPS_2_ID", "x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PUSH_APPS_2_ID");
    }

    @Test
    void invalidEnvironmentValuesAreRejectedNamingTheKey() {
        assertThatThrownBy(() -> load(null, Map.of("PUSH_ACTIVITY_TIMEOUT", "soon")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("activity_timeout").hasMessageContaining("soon");
        assertThatThrownBy(() -> load(TWO_APPS, Map.of("PUSH_APPS_0_ENABLED", "maybe")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("apps[0].enabled");
        assertThatThrownBy(() -> load(null, Map.of("PUSH_PORT", "99999999999")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("port");
    }

    @Test
    void booleanSpellingsFromTheEnvironment() throws Exception {
        for (String yes : List.of("true", "TRUE", "yes", "on", "1")) {
            assertThat(load(TWO_APPS, Map.of("PUSH_APPS_0_ENABLE_CLIENT_MESSAGES", yes)).apps().get(0)
                    .enableClientMessages()).as(yes).isTrue();
        }
        for (String no : List.of("false", "no", "off", "0")) {
            assertThat(load(TWO_APPS, Map.of("PUSH_APPS_1_ENABLE_CLIENT_MESSAGES", no)).apps().get(1)
                    .enableClientMessages()).as(no).isFalse();
        }
    }

    @Test
    void unknownPushVariablesAreWarnedAboutAndOthersIgnored() throws Exception {
        ServerConfig c = load(null, Map.of("PUSH_PROT", "7001", "PUSH_APPS_0_SECRIT", "x", "PUSH_APPS", "x",
                "PATH", "/usr/bin", "HOME", "/root", "PUSHER_APP_KEY", "k"));
        assertThat(c.port()).isEqualTo(6001);
        assertThat(c.apps().get(0).secret()).isEqualTo("app-secret");
        assertThat(warnings).anyMatch(w -> w.contains("PUSH_PROT"));
        assertThat(warnings).anyMatch(w -> w.contains("PUSH_APPS_0_SECRIT"));
        assertThat(warnings).anyMatch(w -> w.contains("PUSH_APPS"));
        assertThat(warnings).noneMatch(w -> w.contains("PATH") || w.contains("HOME") || w.contains("PUSHER_"));
        assertThat(warnings).hasSize(3);
    }

    /** The README documents PUSH_LOG_LEVEL (read by logback), so setting it must not produce an "unknown" warning. */
    @Test
    void documentedLogLevelVariableIsNotReportedAsUnknown() throws Exception {
        load(null, Map.of("PUSH_LOG_LEVEL", "DEBUG"));
        assertThat(warnings).isEmpty();
    }

    // ---- validation -----------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "port: abc                        | port",
            "port: -1                         | port",
            "port: 65536                      | port",
            "port: 6001.5                     | port",
            "port: [6001]                     | port",
            "api_port: x                      | api_port",
            "host: ''                         | host",
            "activity_timeout: 0              | activity_timeout",
            "pong_timeout: 0                  | pong_timeout",
            "max_frame_size: 100              | max_frame_size",
            "max_request_body_size: 10        | max_request_body_size",
            "shutdown_grace_period: -1        | shutdown_grace_period",
            "event_loop_threads: many         | event_loop_threads",
            "colour: blue                     | colour",
            "apps: []                         | apps",
            "apps: nope                       | apps",
            "apps: [5]                        | apps[0]",
            "apps: [{key: k, secret: s}]      | apps[0].id",
            "apps: [{id: a, secret: s}]       | apps[0].key",
            "apps: [{id: a, key: k}]          | apps[0].secret",
            "apps: [{id: 'a b', key: k, secret: s}] | apps[0].id",
            "apps: [{id: a, key: 'k/1', secret: s}] | apps[0].key",
            "apps: [{id: a, key: k, secret: s, max_connections: -1}] | apps[0].max_connections",
            "apps: [{id: a, key: k, secret: s, max_client_events_per_second: 0}] | apps[0].max_client_events_per_second",
            "apps: [{id: a, key: k, secret: s, enabled: maybe}] | apps[0].enabled",
            "apps: [{id: a, key: k, secret: s, colour: blue}] | apps[0].colour",
            "apps: [{id: a, key: k, secret: s}, {id: a, key: k2, secret: s2}] | apps[1].id",
            "apps: [{id: a, key: k, secret: s}, {id: b, key: k, secret: s2}] | apps[1].key"})
    void invalidValuesAreRejectedWithAMessageNamingTheKey(String yaml, String key) {
        assertThatThrownBy(() -> ConfigLoader.fromYaml(yaml, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(key);
    }

    @Test
    void unknownKeyMessageListsTheKnownKeys() {
        assertThatThrownBy(() -> ConfigLoader.fromYaml("activty_timeout: 5", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("activty_timeout").hasMessageContaining("activity_timeout");
    }

    @Test
    void integersTooLargeForALongAreRejectedNotWrappedAround() {
        // 2^64 + 1 would wrap to 1 if read with BigInteger.longValue()
        assertThatThrownBy(() -> ConfigLoader.fromYaml(
                "apps: [{id: a, key: k, secret: s, max_connections: 18446744073709551617}]", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("apps[0].max_connections");
        // 2^64 + 6001 would wrap to 6001
        assertThatThrownBy(() -> ConfigLoader.fromYaml("port: 18446744073709557617", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("port");
    }

    @Test
    void invalidYamlAndMissingFileAreConfigErrors() {
        assertThatThrownBy(() -> load("port: [6001\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("YAML");
        assertThatThrownBy(() -> load("- just\n- a list\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mapping");
        Path missing = dir.resolve("missing.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of(), Map.of(), warnings))
                .isInstanceOf(ConfigException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void theSameKeyMayNotBeUsedTwiceEvenWhenTheDuplicateComesFromTheEnvironment() {
        assertThatThrownBy(() -> load(TWO_APPS, Map.of("PUSH_APPS_1_KEY", "k1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("apps[1].key");
    }

    // ---- webhooks and the hook server keys ------------------------------------------------------------------------

    private static final String APP_WITH = "apps:\n  - id: a1\n    key: k1\n    secret: s1\n    webhooks:\n";

    @Test
    void webhooksAreReadFromTheFile() throws Exception {
        ServerConfig c = load(APP_WITH + """
                      - url: http://127.0.0.1:8080/pusher/webhook
                        event_types: [channel_occupied, member_added]
                        filter: {channel_prefix: presence-, channel_suffix: -room, channel_pattern: '^presence-[a-z]+'}
                        headers: {Authorization: Bearer abc, X-Tenant: t1}
                      - url: https://hooks.example.com/all
                  - id: a2
                    key: k2
                    secret: s2
                """, Map.of());
        List<WebhookConfig> hooks = c.apps().get(0).webhooks();
        assertThat(hooks).hasSize(2);
        WebhookConfig w = hooks.get(0);
        assertThat(w.url()).hasToString("http://127.0.0.1:8080/pusher/webhook");
        assertThat(w.eventTypes()).containsExactlyInAnyOrder("channel_occupied", "member_added");
        assertThat(w.channelPrefix()).isEqualTo("presence-");
        assertThat(w.channelSuffix()).isEqualTo("-room");
        assertThat(w.channelPattern().pattern()).isEqualTo("^presence-[a-z]+");
        assertThat(w.headers()).containsExactlyInAnyOrderEntriesOf(Map.of("Authorization", "Bearer abc",
                "X-Tenant", "t1"));
        assertThat(w.wants("member_added", "presence-chat-room")).isTrue();
        assertThat(w.wants("member_added", "presence-chat")).as("suffix").isFalse();
        assertThat(w.wants("member_added", "private-chat-room")).as("prefix").isFalse();
        assertThat(w.wants("member_added", "presence-9-room")).as("pattern").isFalse();
        assertThat(w.wants("member_removed", "presence-chat-room")).as("event type").isFalse();

        WebhookConfig all = hooks.get(1);
        assertThat(all.url()).hasToString("https://hooks.example.com/all");
        assertThat(all.eventTypes()).as("event_types left out: every type").containsExactlyInAnyOrder(
                "channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event",
                "cache_miss", "subscription_count", "server_event");
        assertThat(all.eventTypes()).containsExactlyInAnyOrderElementsOf(WebhookConfig.EVENT_TYPES);
        assertThat(all.channelPrefix()).isNull();
        assertThat(all.channelSuffix()).isNull();
        assertThat(all.channelPattern()).isNull();
        assertThat(all.headers()).isEmpty();
        assertThat(c.apps().get(1).webhooks()).as("an app without webhooks").isEmpty();
        assertThat(warnings).isEmpty();
    }

    @Test
    void theDevAppAndAnAppWithoutTheKeyHaveNoWebhooks() throws Exception {
        assertThat(load(null, Map.of()).apps().get(0).webhooks()).isEmpty();
        assertThat(load(TWO_APPS, Map.of()).apps()).allMatch(a -> a.webhooks().isEmpty());
    }

    @Test
    void webhooksCanBeConfiguredFromTheEnvironment() throws Exception {
        ServerConfig c = load(TWO_APPS, Map.of(
                "PUSH_APPS_1_WEBHOOKS_0_URL", "http://127.0.0.1:9000/hook",
                "PUSH_APPS_1_WEBHOOKS_0_EVENT_TYPES", "channel_occupied, channel_vacated,member_removed",
                "PUSH_APPS_1_WEBHOOKS_0_FILTER_CHANNEL_PREFIX", "private-",
                "PUSH_APPS_1_WEBHOOKS_0_FILTER_CHANNEL_SUFFIX", "-x",
                "PUSH_APPS_1_WEBHOOKS_0_FILTER_CHANNEL_PATTERN", "^private-[0-9]+",
                "PUSH_APPS_1_WEBHOOKS_0_HEADERS_X_API_KEY", "secret-key",
                "PUSH_APPS_1_WEBHOOKS_0_HEADERS_AUTHORIZATION", "Bearer xyz",
                "PUSH_APPS_1_WEBHOOKS_1_URL", "https://second.example.com/"));
        assertThat(c.apps().get(0).webhooks()).isEmpty();
        List<WebhookConfig> hooks = c.apps().get(1).webhooks();
        assertThat(hooks).hasSize(2);
        WebhookConfig w = hooks.get(0);
        assertThat(w.url()).hasToString("http://127.0.0.1:9000/hook");
        assertThat(w.eventTypes()).containsExactlyInAnyOrder("channel_occupied", "channel_vacated", "member_removed");
        assertThat(w.channelPrefix()).isEqualTo("private-");
        assertThat(w.channelSuffix()).isEqualTo("-x");
        assertThat(w.channelPattern().pattern()).isEqualTo("^private-[0-9]+");
        assertThat(header(w, "X-Api-Key")).as("underscores in the name become dashes; headers: %s", w.headers())
                .isEqualTo("secret-key");
        assertThat(header(w, "Authorization")).isEqualTo("Bearer xyz");
        assertThat(w.headers()).hasSize(2);
        assertThat(hooks.get(1).url()).hasToString("https://second.example.com/");
        assertThat(hooks.get(1).eventTypes()).hasSize(WebhookConfig.EVENT_TYPES.size());
        assertThat(warnings).isEmpty();
    }

    /** A header's value by case-insensitive name (HTTP header names are; the environment loses the case). */
    private static String header(WebhookConfig w, String name) {
        return w.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                .map(Map.Entry::getValue).findFirst().orElse(null);
    }

    @Test
    void theEnvironmentOverridesOneKeyOfAWebhookFromTheFile() throws Exception {
        ServerConfig c = load(APP_WITH + """
                      - url: http://127.0.0.1:8080/old
                        event_types: [member_added]
                        filter: {channel_prefix: presence-}
                        headers: {Authorization: Bearer old}
                """, Map.of("PUSH_APPS_0_WEBHOOKS_0_URL", "http://127.0.0.1:8080/new",
                "PUSH_APPS_0_WEBHOOKS_0_FILTER_CHANNEL_SUFFIX", "-room",
                "PUSH_APPS_0_WEBHOOKS_0_HEADERS_X_TENANT", "t2"));
        WebhookConfig w = c.apps().get(0).webhooks().get(0);
        assertThat(w.url()).hasToString("http://127.0.0.1:8080/new");
        assertThat(w.eventTypes()).as("kept from the file").containsExactly("member_added");
        assertThat(w.channelPrefix()).as("kept from the file").isEqualTo("presence-");
        assertThat(w.channelSuffix()).isEqualTo("-room");
        assertThat(header(w, "Authorization")).as("kept from the file").isEqualTo("Bearer old");
        assertThat(header(w, "X-Tenant")).isEqualTo("t2");
    }

    @Test
    void webhookEnvironmentVariablesAreCheckedLikeTheFile() {
        assertThatThrownBy(() -> load(TWO_APPS, Map.of("PUSH_APPS_0_WEBHOOKS_1_URL", "http://127.0.0.1/h")))
                .as("a gap in the webhook indexes").isInstanceOf(ConfigException.class)
                .hasMessageContaining("PUSH_APPS_0_WEBHOOKS_1_URL");
        assertThatThrownBy(() -> load(TWO_APPS, Map.of("PUSH_APPS_0_WEBHOOKS_0_URL", "ftp://127.0.0.1/h")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("config key apps[0].webhooks[0].url:");
        assertThatThrownBy(() -> load(TWO_APPS, Map.of("PUSH_APPS_0_WEBHOOKS_0_URL", "http://127.0.0.1/h",
                "PUSH_APPS_0_WEBHOOKS_0_EVENT_TYPES", "channel_occupied,channel_exploded")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("config key apps[0].webhooks[0].event_types:")
                .hasMessageContaining("channel_exploded");
        assertThatThrownBy(() -> load(TWO_APPS, Map.of("PUSH_APPS_0_WEBHOOKS_0_URL", "http://127.0.0.1/h",
                "PUSH_APPS_0_WEBHOOKS_0_FILTER_CHANNEL_PATTERN", "(unclosed")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config key apps[0].webhooks[0].filter.channel_pattern:");
        assertThatThrownBy(() -> load(TWO_APPS, Map.of("PUSH_APPS_0_WEBHOOKS_0_URL", "http://127.0.0.1/h",
                "PUSH_APPS_0_WEBHOOKS_0_HEADERS_X_PUSHER_SIGNATURE", "forged")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("apps[0].webhooks[0].headers.")
                .hasMessageContaining("set by the server");
        assertThatThrownBy(() -> load(TWO_APPS, Map.of("PUSH_APPS_0_WEBHOOKS_0_EVENT_TYPES", "member_added")))
                .as("a webhook without a url").isInstanceOf(ConfigException.class)
                .hasMessageContaining("config key apps[0].webhooks[0].url:");
    }

    @Test
    void unknownWebhookEnvironmentKeysAreWarnedAbout() throws Exception {
        ServerConfig c = load(TWO_APPS, Map.of("PUSH_APPS_0_WEBHOOKS_0_URL", "http://127.0.0.1/h",
                "PUSH_APPS_0_WEBHOOKS_0_TIMEOUT", "3"));
        assertThat(c.apps().get(0).webhooks()).hasSize(1);
        assertThat(warnings).anyMatch(w -> w.contains("PUSH_APPS_0_WEBHOOKS_0_TIMEOUT"));
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = ';', quoteCharacter = '"', value = {
            "webhooks: [{url: not-a-url}]                                ; apps[0].webhooks[0].url",
            "webhooks: [{url: 'ftp://127.0.0.1/h'}]                      ; apps[0].webhooks[0].url",
            "webhooks: [{url: /relative/path}]                           ; apps[0].webhooks[0].url",
            "webhooks: [{url: 'http://'}]                                ; apps[0].webhooks[0].url",
            "webhooks: [{url: 'http:/no-host'}]                          ; apps[0].webhooks[0].url",
            "webhooks: [{url: 'http://exa mple.com/'}]                   ; apps[0].webhooks[0].url",
            "webhooks: [{event_types: [member_added]}]                   ; apps[0].webhooks[0].url",
            "webhooks: [{url: 'http://h/', event_types: [member_joined]}] ; apps[0].webhooks[0].event_types",
            "webhooks: [{url: 'http://h/', event_types: [channel_occupied, CHANNEL_VACATED]}] ; apps[0].webhooks[0].event_types",
            "webhooks: [{url: 'http://h/', event_types: {a: b}}]         ; apps[0].webhooks[0].event_types",
            "webhooks: [{url: 'http://h/', event_types: []}]              ; apps[0].webhooks[0].event_types",
            "webhooks: [{url: 'http://h/', filter: {channel_pattern: '[a-'}}] ; apps[0].webhooks[0].filter.channel_pattern",
            "webhooks: [{url: 'http://h/', filter: {channel_pattern: '*x'}}]  ; apps[0].webhooks[0].filter.channel_pattern",
            "webhooks: [{url: 'http://h/', colour: blue}]                ; apps[0].webhooks[0].colour",
            "webhooks: [{url: 'http://h/', filter: {channel_prefx: a}}]  ; apps[0].webhooks[0].filter.channel_prefx",
            "webhooks: [{url: 'http://h/', filter: presence-}]           ; apps[0].webhooks[0].filter",
            "webhooks: [{url: 'http://h/', headers: {X-Pusher-Signature: x}}] ; apps[0].webhooks[0].headers.X-Pusher-Signature",
            "webhooks: [{url: 'http://h/', headers: {X-Pusher-Key: x}}]  ; apps[0].webhooks[0].headers.X-Pusher-Key",
            "webhooks: [{url: 'http://h/', headers: {Content-Type: text/plain}}] ; apps[0].webhooks[0].headers.Content-Type",
            "webhooks: [{url: 'http://h/', headers: {content-length: '5'}}] ; apps[0].webhooks[0].headers.content-length",
            "webhooks: [{url: 'http://h/', headers: {Host: evil}}]       ; apps[0].webhooks[0].headers.Host",
            "webhooks: [{url: 'http://h/', headers: {'Bad Name': x}}]    ; apps[0].webhooks[0].headers.Bad Name",
            "webhooks: [{url: 'http://h/', headers: [Authorization]}]    ; apps[0].webhooks[0].headers",
            "webhooks: [{url: 'http://h/'}, {url: 'mailto:x@y'}]         ; apps[0].webhooks[1].url",
            "webhooks: [5]                                               ; apps[0].webhooks[0]",
            "webhooks: {url: 'http://h/'}                                ; apps[0].webhooks"})
    void malformedWebhooksAreRejectedNamingTheExactKey(String webhooks, String key) {
        String firstApp = "apps:\n  - {id: a0, key: k0, secret: s0}\n";
        assertThatThrownBy(() -> ConfigLoader.fromYaml("apps:\n  - id: a0\n    key: k0\n    secret: s0\n    "
                + webhooks.strip() + "\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config key " + key + ":");
        // the same webhook on the second app names apps[1]
        assertThatThrownBy(() -> ConfigLoader.fromYaml(firstApp + "  - id: a1\n    key: k1\n    secret: s1\n    "
                + webhooks.strip() + "\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config key " + key.replace("apps[0]", "apps[1]") + ":");
    }

    @Test
    void hookServerKeysDefaultToTheReadmeValues() throws Exception {
        HookSettings h = load(null, Map.of()).hooks();
        assertThat(h.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(h.batchMs()).isZero();
        assertThat(h.batchMax()).isEqualTo(100);
        assertThat(h.timeoutSeconds()).isEqualTo(5);
        assertThat(h.retryPeriodSeconds()).as("as Pusher: 5 minutes").isEqualTo(300);
        assertThat(h.workers()).isEqualTo(8);
        assertThat(h.vacateDelayMs()).as("off, as Pusher").isZero();
        assertThat(h.handlers()).isEmpty();
        assertThat(h.adminToken()).as("admin endpoints off").isNull();
    }

    @Test
    void hookServerKeysFromTheFileAndTheEnvironment() throws Exception {
        HookSettings fromFile = load("""
                data_dir: /var/lib/push
                webhook_batch_ms: 50
                webhook_batch_max: 10
                webhook_timeout: 2
                webhook_retry_period: 60
                webhook_workers: 0
                webhook_vacate_delay_ms: 3000
                hook_handlers: [com.example.KafkaHandler]
                admin_token: file-token
                """, Map.of()).hooks();
        assertThat(fromFile.dataDir()).isEqualTo(Path.of("/var/lib/push"));
        assertThat(fromFile.batchMs()).isEqualTo(50);
        assertThat(fromFile.batchMax()).isEqualTo(10);
        assertThat(fromFile.timeoutSeconds()).isEqualTo(2);
        assertThat(fromFile.retryPeriodSeconds()).isEqualTo(60);
        assertThat(fromFile.workers()).isZero();
        assertThat(fromFile.vacateDelayMs()).isEqualTo(3000);
        assertThat(fromFile.handlers()).containsExactly("com.example.KafkaHandler");
        assertThat(fromFile.adminToken()).isEqualTo("file-token");

        HookSettings fromEnv = load("data_dir: /var/lib/push\nwebhook_workers: 0\n", Map.of(
                "PUSH_DATA_DIR", "/srv/hooks",
                "PUSH_WEBHOOK_BATCH_MS", "20",
                "PUSH_WEBHOOK_BATCH_MAX", "7",
                "PUSH_WEBHOOK_TIMEOUT", "9",
                "PUSH_WEBHOOK_RETRY_PERIOD", "30",
                "PUSH_WEBHOOK_WORKERS", "3",
                "PUSH_WEBHOOK_VACATE_DELAY_MS", "500",
                "PUSH_HOOK_HANDLERS", "a,b",
                "PUSH_ADMIN_TOKEN", "env-token")).hooks();
        assertThat(fromEnv.dataDir()).isEqualTo(Path.of("/srv/hooks"));
        assertThat(fromEnv.batchMs()).isEqualTo(20);
        assertThat(fromEnv.batchMax()).isEqualTo(7);
        assertThat(fromEnv.timeoutSeconds()).isEqualTo(9);
        assertThat(fromEnv.retryPeriodSeconds()).isEqualTo(30);
        assertThat(fromEnv.workers()).as("the environment wins over the file").isEqualTo(3);
        assertThat(fromEnv.vacateDelayMs()).isEqualTo(500);
        assertThat(fromEnv.handlers()).containsExactly("a", "b");
        assertThat(fromEnv.adminToken()).isEqualTo("env-token");
        assertThat(warnings).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "data_dir: ''                 | data_dir",
            "data_dir: [a, b]             | data_dir",
            "webhook_batch_ms: -1         | webhook_batch_ms",
            "webhook_batch_max: 0         | webhook_batch_max",
            "webhook_timeout: 0           | webhook_timeout",
            "webhook_timeout: soon        | webhook_timeout",
            "webhook_retry_period: -5     | webhook_retry_period",
            "webhook_workers: -1          | webhook_workers",
            "webhook_vacate_delay_ms: -1  | webhook_vacate_delay_ms",
            "hook_handlers: {a: b}        | hook_handlers",
            "admin_token: [x]             | admin_token",
            "pending_timeout: 1           | pending_timeout",
            "redis_url: http://h:6379     | redis_url",
            "redis_url: [a]               | redis_url",
            "redis_prefix: [a]            | redis_prefix"})
    void invalidHookServerKeysAreRejectedNamingTheKey(String yaml, String key) {
        assertThatThrownBy(() -> ConfigLoader.fromYaml(yaml, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config key " + key + ":");
    }

    @Test
    void redisKeysFromTheFileAndTheEnvironment() {
        ServerConfig none = ConfigLoader.fromYaml("", Map.of());
        assertThat(none.redis().enabled()).isFalse();
        assertThat(none.redis().prefix()).isEqualTo("push:");
        assertThat(none.hooks().pendingTimeoutSeconds()).isEqualTo(30);

        ServerConfig file = ConfigLoader.fromYaml("redis_url: rediss://:pw@h:6380/2\nredis_prefix: \"a:\"\n"
                + "pending_timeout: 5\n", Map.of());
        assertThat(file.redis().url()).isEqualTo("rediss://:pw@h:6380/2");
        assertThat(file.redis().prefix()).isEqualTo("a:");
        assertThat(file.hooks().pendingTimeoutSeconds()).isEqualTo(5);

        ServerConfig env = ConfigLoader.fromYaml("redis_url: redis://h\n", Map.of("PUSH_REDIS_URL", "redis://e:1",
                "PUSH_REDIS_PREFIX", "b:", "PUSH_PENDING_TIMEOUT", "7"));
        assertThat(env.redis().url()).isEqualTo("redis://e:1");
        assertThat(env.redis().prefix()).isEqualTo("b:");
        assertThat(env.hooks().pendingTimeoutSeconds()).isEqualTo(7);
    }

    @Test
    void aBadRedisUrlIsRejectedWithoutShowingItsPassword() {
        assertThatThrownBy(() -> ConfigLoader.fromYaml("redis_url: tcp://:hunter2@h:6379\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("config key redis_url:")
                .hasMessageNotContaining("hunter2");
    }
}
