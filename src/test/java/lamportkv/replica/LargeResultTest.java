package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Results travel in APPLY messages and live in the client table and in snapshots: even the
 * longest ({@code keys} over a large store) must fit, or a link would stall on a message its
 * peer cannot read.
 */
class LargeResultTest {
    @TempDir
    Path dir;

    @Test
    void aKeysListingOfAStoreLargerThanOneMessageIsPagedAndTheClusterKeepsWorking() throws Exception {
        try (LocalCluster cluster = LocalCluster.create(3, dir, "snapshot.every=300")) {
            for (int id = 1; id <= 3; id++) {
                cluster.start(id);
            }
            cluster.awaitWorking();
            ReplicaService r1 = service(cluster, 1);
            String filler = "k".repeat(240);
            int n = 400;        // about 100 KB of keys: more than one message may carry
            for (int i = 0; i < n; i++) {
                Reply set = r1.execute(Command.of(9, i + 1, List.of("set", String.format("%03d", i) + filler, "1"), 10_000));
                assertThat(set.ok()).as(set.text()).isTrue();
            }
            Reply keys = r1.execute(Command.of(9, n + 1, List.of("keys"), 10_000));
            assertThat(keys.ok()).as(keys.text()).isTrue();
            assertThat(keys.text()).endsWith(" (and 149 more: keys 250" + filler + ")");

            // The APPLY carrying that result reached the peers: the next operation is ordered after it.
            Reply after = service(cluster, 2).execute(Command.of(10, 1, List.of("set", "next", "1"), 10_000));
            assertThat(after.ok()).as(after.text()).isTrue();
            assertThat(cluster.awaitConverged().applied()).isEqualTo(n + 2);

            // Replica 1 replays its log (and snapshot) holding that message, and serves on.
            cluster.stop(1);
            cluster.start(1);
            Reply again = service(cluster, 1).execute(Command.of(9, n + 2, List.of("keys", "250" + filler), 10_000));
            assertThat(again.text()).isEqualTo(String.join(" ", java.util.stream.IntStream.range(251, n)
                    .mapToObj(i -> i + filler).toList()) + " next");
            assertThat(cluster.awaitConverged().applied()).isEqualTo(n + 3);
        }
    }

    private static ReplicaService service(LocalCluster cluster, int id) throws Exception {
        ReplicaAddress a = cluster.config().replica(id);
        return Rmi.replicaService(a.host(), a.port());
    }
}
