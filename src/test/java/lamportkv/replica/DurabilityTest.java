package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.rmi.StateHash;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replicas that stop and start again keep everything, and a full disk stops work instead of losing it. */
class DurabilityTest {
    @TempDir
    Path dir;

    private long seq;

    @Test
    void aRestartedReplicaCompletesWhatWaitedForIt() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(3, dir)) {
            assertThat(run(cluster, 1, "set", "x", "1")).isEqualTo(ok("OK"));
            cluster.stop(3);
            CompletableFuture<Reply> waiting = CompletableFuture.supplyAsync(() -> run(cluster, 1, "add", "x", "5"));
            Thread.sleep(500);
            assertThat(waiting).isNotDone();

            cluster.start(3);
            assertThat(waiting.get(20, TimeUnit.SECONDS)).isEqualTo(ok("6"));
            assertThat(run(cluster, 3, "get", "x")).isEqualTo(ok("6"));
            cluster.awaitConverged();
        }
    }

    @Test
    void aWholeClusterRestartKeepsEveryAcknowledgedOperationAcrossSnapshots() throws Exception {
        try (LocalCluster cluster = LocalCluster.create(3, dir, "snapshot.every=40\n")) {
            cluster.ids().forEach(cluster::start);
            cluster.awaitWorking();
            assertThat(run(cluster, 1, "set", "n", "0")).isEqualTo(ok("OK"));
            for (int i = 1; i <= 150; i++) {
                assertThat(run(cluster, 1 + i % 3, "add", "n", "1")).isEqualTo(ok(String.valueOf(i)));
            }
            StateHash before = cluster.awaitConverged();     // what every replica acknowledged, all APPLYs in
            cluster.close();
            assertThat(snapshots(dir.resolve("data/replica-2"))).as("snapshots taken").isNotEmpty();

            cluster.ids().forEach(cluster::start);
            assertThat(service(cluster, 2).hash()).isEqualTo(before);
            assertThat(run(cluster, 3, "add", "n", "1")).isEqualTo(ok("151"));
            cluster.awaitConverged();
        }
    }

    @Test
    void aRetriedWriteAppliesOnceAndAnswersWithTheFirstResult() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(3, dir)) {
            assertThat(run(cluster, 1, "set", "c", "10")).isEqualTo(ok("OK"));
            Command add = Command.of(77, 1, List.of("add", "c", "1"), 10_000);
            assertThat(service(cluster, 1).execute(add)).isEqualTo(ok("11"));
            assertThat(service(cluster, 2).execute(add)).as("the same add, retried elsewhere").isEqualTo(ok("11"));
            assertThat(run(cluster, 3, "get", "c")).isEqualTo(ok("11"));
            assertThat(service(cluster, 3).status().clients()).isEqualTo(2);
        }
    }

    @Test
    void aFullDiskStopsTheReplicaFromAcceptingWork() throws Exception {
        Path replica2 = dir.resolve("data/replica-2");
        Files.createDirectories(replica2);
        assumeTrue(mountTmpfs(replica2, "192k"), "mounting a small tmpfs needs root; skipped");
        try (LocalCluster cluster = LocalCluster.start(3, dir)) {
            String value = "v".repeat(60_000);
            Reply last = null;
            for (int i = 0; i < 20 && (last == null || last.ok()); i++) {
                last = run(cluster, 2, "set", "k" + i, value);
            }
            // Taken, then its round's write failed; or refused up front if a snapshot had failed first.
            assertThat(last.status()).isIn(Reply.Status.ABANDONED, Reply.Status.UNAVAILABLE);
            assertThat(last.text()).contains("replica 2").contains("No space left on device");
            Reply after = run(cluster, 2, "get", "k0");
            assertThat(after.status()).as("not taken: try another replica").isEqualTo(Reply.Status.UNAVAILABLE);
            assertThat(after.text()).startsWith("replica 2 stopped accepting work: ").endsWith("restart the replica");
            assertThat(service(cluster, 1).status().id()).as("the others keep answering").isEqualTo(1);
        } finally {
            new ProcessBuilder("umount", replica2.toString()).inheritIO().start().waitFor();
        }
    }

    private Reply run(LocalCluster cluster, int id, String... words) {
        try {
            return service(cluster, id).execute(Command.of(5, ++seq, List.of(words), 10_000));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Reply ok(String text) {
        return new Reply(Reply.Status.OK, text);
    }


    private static List<Path> snapshots(Path replicaDir) throws IOException {
        try (Stream<Path> files = Files.walk(replicaDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".snap")).toList();
        }
    }

    private static boolean mountTmpfs(Path where, String size) throws Exception {
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", where.toString())
                .redirectErrorStream(true).start();
        return p.waitFor() == 0;
    }

    private static ReplicaService service(LocalCluster cluster, int id) throws Exception {
        ReplicaAddress a = cluster.config().replica(id);
        return Rmi.replicaService(a.host(), a.port());
    }
}
