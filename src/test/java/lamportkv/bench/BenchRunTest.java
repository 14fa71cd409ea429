package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Short real runs against three replicas in this JVM, over real RMI. */
class BenchRunTest {
    @TempDir
    static Path dir;
    private static LocalCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(3, dir.resolve("cluster"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @ParameterizedTest(name = "clients as {0}")
    @ValueSource(strings = {"callbacks", "threads"})
    void jsonRunWithAMixCountsOperationsWithoutErrorsAndWritesTheHistogram(String clientsAs) throws Exception {
        Path hdr = dir.resolve("latency-" + clientsAs + ".hdr");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new java.util.ArrayList<>(List.of("--clients", "4", "--duration", "1.5", "--warmup", "0.5",
                "--keys", "50", "--mix", "set:40,add:30,mult:10,get:20", "--json", "--hdr-out", hdr.toString()));
        if (clientsAs.equals("threads")) {
            args.add("--threads");
        }
        long appliedBefore = cluster.awaitConverged().applied();
        int status = Bench.run(cluster.configFile(), args,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false);

        String stdout = out.toString(StandardCharsets.UTF_8);
        assertThat(status).as("stderr: %s", err).isZero();
        assertThat(stdout.lines()).hasSize(1);
        Map<String, String> json = JsonLine.parse(stdout.strip());
        assertThat(json).containsEntry("system", "lamportkv").containsEntry("clients", "4")
                .containsEntry("replicas", "3").containsEntry("errors", "0")
                .containsEntry("mix", "set:40,add:30,get:20,mult:10").containsEntry("clients_as", clientsAs);
        assertThat(Double.parseDouble(json.get("seconds"))).isBetween(1.4, 3.0);
        assertThat(Long.parseLong(json.get("ops"))).isPositive();
        assertThat(Long.parseLong(json.get("ops_per_s"))).isPositive();
        assertThat(Double.parseDouble(json.get("warmup_s"))).as("the fixed warm-up, as timed").isBetween(0.5, 2.0);
        assertThat(json).containsEntry("cpu_replicas", "3");
        // In-process replicas share this JVM, so the number itself means little here; it is read.
        assertThat(Double.parseDouble(json.get("cpu_us_per_op"))).isPositive();
        long p50 = Long.parseLong(json.get("p50_us"));
        long p90 = Long.parseLong(json.get("p90_us"));
        long p99 = Long.parseLong(json.get("p99_us"));
        long p999 = Long.parseLong(json.get("p999_us"));
        long max = Long.parseLong(json.get("max_us"));
        assertThat(p50).isPositive();
        assertThat(List.of(p50, p90, p99, p999, max)).isSorted();

        String histogram = Files.readString(hdr);
        assertThat(histogram).contains("Value     Percentile TotalCount 1/(1-Percentile)")
                .containsPattern("Total count +=  *" + json.get("ops") + "]");

        // Every replica ends with the same state: the load went through the protocol.
        assertThat(cluster.awaitConverged().applied() - appliedBefore).isGreaterThanOrEqualTo(50 + Long.parseLong(json.get("ops")));
    }


    @Test
    void tableRunPrintsThroughputLatencyAndErrors() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Bench.run(cluster.configFile(), List.of("--clients", "4", "--duration", "1", "--warmup", "0.2"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false);

        assertThat(status).as("stderr: %s", err).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .startsWith("lamportkv bench: 4 clients on 3 replicas, mix set:100, 1000 keys, 100-byte values")
                .contains("throughput", "ops/s", "latency (ms)", "p50", "p90", "p99", "p99.9", "max")
                .containsPattern("errors +0\n");
    }
}
