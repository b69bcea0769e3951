package dev.pushserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pushserver.config.ConfigLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The demo is off unless asked for: by --demo, the config key demo or PUSH_DEMO. */
class DemoFlagTest {

    @Test
    void offByDefaultOnByKeyOrEnvironment() throws Exception {
        List<String> warnings = new ArrayList<>();
        assertThat(ConfigLoader.load(null, Map.of(), Map.of(), warnings).demo()).isFalse();
        assertThat(ConfigLoader.load(null, Map.of("PUSH_DEMO", "true"), Map.of(), warnings).demo()).isTrue();
        assertThat(ConfigLoader.fromYaml("demo: true\n", Map.of()).demo()).isTrue();
        assertThat(warnings).isEmpty();
    }

    @Test
    void cliFlagOverridesTheConfig() throws Exception {
        Main main = new Main();
        new CommandLine(main).parseArgs("--demo");
        assertThat(main.demo).isTrue();
        Main plain = new Main();
        new CommandLine(plain).parseArgs();
        assertThat(plain.demo).isFalse();
        Map<String, String> overrides = new java.util.HashMap<>();
        overrides.put("demo", "true");
        assertThat(ConfigLoader.load(null, Map.of("PUSH_DEMO", "false"), overrides, new ArrayList<>()).demo())
                .isTrue();
    }
}
