package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which replica the library's lanes send to, against three real replicas in this JVM. */
class RoutingTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void byDefaultEveryLaneSendsToTheFirstReplica(@TempDir Path dir) {
        try (LocalCluster c = LocalCluster.start(3, dir); LamportKv kv = LamportKv.connect(c.config(), TIMEOUT)) {
            assertThat(replicasOfThreeLanes(kv)).containsExactly(1, 1, 1);
        }
    }

    @Test
    void spreadLanesStartAtTheReplicasInTurn(@TempDir Path dir) {
        try (LocalCluster c = LocalCluster.start(3, dir);
             LamportKv kv = LamportKv.connect(c.config(), TIMEOUT, LamportKv.Routing.SPREAD)) {
            assertThat(replicasOfThreeLanes(kv)).containsExactly(1, 2, 3);
        }
    }

    @Test
    void whenOneLaneHadToMoveOnTheOthersFollowWithoutTryingTheStoppedReplica(@TempDir Path dir) {
        try (LocalCluster c = LocalCluster.start(3, dir); LamportKv kv = LamportKv.connect(c.config(), TIMEOUT)) {
            LamportKv.Lane a = kv.borrow();
            LamportKv.Lane b = kv.borrow();
            kv.run(a, List.of("set", "x", "1"));
            kv.run(b, List.of("set", "x", "2"));
            assertThat(a.connection.endpoint().id()).isEqualTo(1);

            c.stop(1);
            kv.run(a, List.of("set", "x", "3"));              // moves on, past the view change
            int moved = a.connection.endpoint().id();
            assertThat(moved).isNotEqualTo(1);
            long retries = kv.retries();

            Connection.Outcome outcome = kv.run(b, List.of("set", "x", "4"));
            assertThat(b.connection.endpoint().id()).as("b starts where a was answered").isEqualTo(moved);
            assertThat(outcome.attempts().count()).as("one attempt: b never tried replica 1").isEqualTo(1);
            assertThat(kv.retries()).isEqualTo(retries);
            LamportKv.Lane fresh = kv.borrow();
            kv.run(fresh, List.of("set", "x", "5"));
            assertThat(fresh.connection.endpoint().id()).as("a new lane too").isEqualTo(moved);
        }
    }

    /** The replicas that three lanes in use at once sent their first operation to. */
    private static List<Integer> replicasOfThreeLanes(LamportKv kv) {
        List<LamportKv.Lane> lanes = List.of(kv.borrow(), kv.borrow(), kv.borrow());
        for (LamportKv.Lane lane : lanes) {
            kv.run(lane, List.of("set", "k", "v"));
        }
        return lanes.stream().map(l -> l.connection.endpoint().id()).toList();
    }
}
