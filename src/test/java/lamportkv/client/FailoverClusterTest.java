package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import lamportkv.cli.ClientMain;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stopped replica: the client names it, and moves on when it picked the replica itself. */
class FailoverClusterTest {
    /**
     * How a stopped replica looks: refused, as from another process, or, inside one JVM where RMI
     * may still hold a connection to the stopped replica's port, an object no longer exported.
     */
    private static final String GONE = "(Connection refused|no such object: the replica was restarted or is stopping)";

    @TempDir
    Path dir;

    @Test
    void firstReplicaDownMovesToTheNextAndSaysSo() {
        try (LocalCluster cluster = LocalCluster.start(3, dir)) {
            String config = cluster.configFile().toString();
            String one = cluster.config().find(1).orElseThrow().hostPort();
            String two = cluster.config().find(2).orElseThrow().hostPort();
            assertThat(ClientRun.of("--config", config, "set", "x", "1").status()).isZero();
            cluster.stop(1);

            ClientRun r = ClientRun.of("--config", config, "hash");
            assertThat(r.status()).isZero();
            assertThat(r.out()).matches("applied=\\d+ digest=[0-9a-f]+\n");
            assertThat(r.err()).matches(Pattern.quote("replica 1 at " + one + " is unreachable (") + GONE
                    + Pattern.quote("); trying replica 2 at " + two) + "\n");

            ClientRun chosen = ClientRun.of("--config", config, "--replica", "1", "hash");
            assertThat(chosen.status()).isEqualTo(1);
            assertThat(chosen.out()).isEmpty();
            assertThat(chosen.err()).matches(Pattern.quote("error: cannot reach replica 1 at " + one + ": ") + GONE + "\n");
        }
    }

    @Test
    void aWriteToAStoppedReplicaMovesOnWaitsAndCompletesWhenItReturns() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(3, dir)) {
            String config = cluster.configFile().toString();
            assertThat(ClientRun.of("--config", config, "set", "c", "1").status()).isZero();
            cluster.stop(1);
            Thread restarter = new Thread(() -> {
                try {
                    Thread.sleep(1_500);
                } catch (InterruptedException e) {
                    return;
                }
                cluster.start(1);
            });
            restarter.start();
            ClientRun r = ClientRun.of("--config", config, "--replica", "1", "--timeout", "20", "add", "c", "1");
            restarter.join();
            assertThat(r.out()).isEqualTo("2\n");
            assertThat(r.errLines()).first().asString().startsWith("retrying 'add c 1' on replica 2 at ");
            assertThat(r.status()).isZero();
            assertThat(ClientRun.of("--config", config, "--replica", "1", "get", "c").out()).isEqualTo("2\n");
        }
    }

    @Test
    void operationsThatNeedTheStoppedReplicaTimeOutNamingIt() {
        try (LocalCluster cluster = LocalCluster.start(2, dir)) {
            String config = cluster.configFile().toString();
            cluster.stop(2);
            ClientRun r = ClientRun.piped(List.of("--config", config, "--timeout", "0.5"), "set x 1\nstatus\n");
            assertThat(r.status()).isEqualTo(1);
            assertThat(r.errLines()).singleElement().asString()
                    .startsWith("error: timed out after 0.5s waiting for replica 2");
            assertThat(r.outLines()).last().asString()
                    .matches("peer 2 at \\S+: (reachable|unreachable since \\d\\d:\\d\\d:\\d\\d \\(for \\d+s\\)),"
                            + " 1 operation waiting for it");
        }
    }

    @Test
    void aReadOnTheStoppedReplicaMovesOnAndTimesOutNamingIt() {
        try (LocalCluster cluster = LocalCluster.start(3, dir)) {
            String config = cluster.configFile().toString();
            String one = cluster.config().find(1).orElseThrow().hostPort();
            String two = cluster.config().find(2).orElseThrow().hostPort();
            assertThat(ClientRun.of("--config", config, "--replica", "1", "keys").status()).isZero();
            cluster.stop(1);

            long started = System.nanoTime();
            ClientRun r = ClientRun.of("--config", config, "--replica", "1", "--timeout", "1", "keys");
            assertThat((System.nanoTime() - started) / 1_000_000).as("ms taken for a 1 s budget").isLessThan(4_000);
            assertThat(r.status()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.errLines()).hasSize(2);
            assertThat(r.errLines().get(0)).matches(Pattern.quote("retrying 'keys' on replica 2 at " + two + ": replica 1 at "
                    + one + " is unreachable (") + GONE + "\\)");
            assertThat(r.errLines().get(1)).startsWith("error: timed out after 1s waiting for replica 1")
                    .endsWith("; the operation may still be applied");
        }
    }

    @Test
    void aSessionWhoseReplicaStopsGoesOnWithTheNextAndCompletesWhenItReturns() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(3, dir)) {
            String config = cluster.configFile().toString();
            String one = cluster.config().find(1).orElseThrow().hostPort();
            String two = cluster.config().find(2).orElseThrow().hostPort();
            PipedOutputStream typing = new PipedOutputStream();
            PipedInputStream stdin = new PipedInputStream(typing);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            AtomicInteger status = new AtomicInteger(-1);
            Thread client = new Thread(() -> status.set(ClientMain.run(
                    new String[] {"--config", config, "--replica", "1", "--timeout", "20"}, stdin,
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))));
            client.start();
            type(typing, "set s 1\n");
            awaitLines(out, 1);

            cluster.stop(1);   // the replica this session talks to, with its stub cached
            Thread restarter = new Thread(() -> {
                try {
                    Thread.sleep(1_500);
                } catch (InterruptedException e) {
                    return;
                }
                cluster.start(1);
            });
            restarter.start();
            type(typing, "add s 1\n");
            awaitLines(out, 2);
            restarter.join();
            type(typing, "keys\nget s\n");
            typing.close();
            client.join(30_000);

            assertThat(status.get()).isZero();
            List<String> results = out.toString(StandardCharsets.UTF_8).lines().toList();
            assertThat(results).hasSize(4);
            assertThat(results.get(0)).isEqualTo("OK");
            assertThat(results.get(1)).as("applied once, after replica 1 returned").isEqualTo("2");
            assertThat(List.of(results.get(2).split(" "))).contains("s");
            assertThat(results.get(3)).isEqualTo("2");
            // One notice: the later commands stayed on replica 2, which answered.
            assertThat(err.toString(StandardCharsets.UTF_8)).matches(Pattern.quote("retrying 'add s 1' on replica 2 at "
                    + two + ": replica 1 at " + one + " is unreachable (") + GONE + "\\)\n");
            assertThat(ClientRun.of("--config", config, "--replica", "1", "get", "s").out()).isEqualTo("2\n");
        }
    }

    @Test
    void aSessionWhoseReplicaRestartedBetweenCommandsStaysWithItQuietly() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(3, dir)) {
            String config = cluster.configFile().toString();
            PipedOutputStream typing = new PipedOutputStream();
            PipedInputStream stdin = new PipedInputStream(typing);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            AtomicInteger status = new AtomicInteger(-1);
            Thread client = new Thread(() -> status.set(ClientMain.run(
                    new String[] {"--config", config, "--replica", "1", "--timeout", "20"}, stdin,
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))));
            client.start();
            type(typing, "set r 1\n");
            awaitLines(out, 1);
            cluster.stop(1);
            cluster.start(1);   // same address, new remote objects: the session's stub is stale
            type(typing, "add r 1\n");
            typing.close();
            client.join(30_000);
            assertThat(status.get()).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("OK\n2\n");
            assertThat(err.toString(StandardCharsets.UTF_8)).as("looked up again, no retry elsewhere").isEmpty();
        }
    }

    private static void type(PipedOutputStream typing, String lines) throws IOException {
        typing.write(lines.getBytes(StandardCharsets.UTF_8));
        typing.flush();
    }

    private static void awaitLines(ByteArrayOutputStream out, int lines) throws InterruptedException {
        for (int i = 0; i < 400 && out.toString(StandardCharsets.UTF_8).lines().count() < lines; i++) {
            Thread.sleep(50);
        }
        assertThat(out.toString(StandardCharsets.UTF_8).lines().count()).as("results printed").isGreaterThanOrEqualTo(lines);
    }
}
