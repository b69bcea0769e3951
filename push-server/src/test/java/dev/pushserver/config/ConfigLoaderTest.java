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
}
