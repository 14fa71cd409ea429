package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Usage errors are refused before any connection: exit status 2 and one line naming the option. */
class BenchOptionsTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Bench.run(Path.of("no-such-config.properties"), List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--mix|set:60,foo:40|error: --mix: unknown kind 'foo'",
        "--mix|set:0|error: --mix: weight of set must be a positive integer",
        "--mix|set:1,set:1|error: --mix: set appears twice",
        "--clients|0|error: --clients: expected 1 to 10000, found 0",
        "--keys|-1|error: --keys: expected a positive number",
        "--duration|0|error: --duration: expected a positive number of seconds",
        "--warmup|-1|error: --warmup: expected a number of seconds",
        "--timeout|soon|error: --timeout: expected a positive number of seconds",
        "--value-size|0|error: --value-size: expected 1 to 65536",
        "--clients|many|error: Invalid value for option '--clients'",
    })
    void badOptionIsAUsageError(String option, String value, String message) {
        assertThat(run(option, value)).isEqualTo(2);
        assertThat(err()).startsWith(message).endsWith("\n");
        assertThat(err().lines()).hasSize(1);
        assertThat(out.size()).isZero();
    }

    @Test
    void numericMixLimitsTheValueSize() {
        assertThat(run("--mix", "set:1,add:1", "--value-size", "991")).isEqualTo(2);
        assertThat(err()).startsWith("error: --value-size: expected 1 to 990 for a mix with add or mult");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertThat(run("--client", "4")).isEqualTo(2);
        assertThat(err()).startsWith("error: Unknown options: '--client', '4'").contains("run-client.sh bench --help");
    }

    @Test
    void missingConfigurationIsAUsageError() {
        assertThat(run("--duration", "1")).isEqualTo(2);
        assertThat(err()).startsWith("error: ").contains("no-such-config.properties");
    }

    @Test
    void helpExplainsTheNumericMixesAndExitsZero() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("--clients", "--duration", "--warmup", "--keys", "--value-size", "--mix", "--json",
                        "--hdr-out", "set writes such a number too", "add adds 1", "(default: set:100)",
                        "(default: 64)", "(default: 20)", "(default: auto)", "(default: 60)", "(default: 1000)", "(default: 100)");
    }
}
