package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
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
}
