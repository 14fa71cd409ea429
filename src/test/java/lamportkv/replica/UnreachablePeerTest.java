package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.Command;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.Rmi;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** While a replica is down the others cannot execute: operations wait, then time out clearly. */
class UnreachablePeerTest {
    @TempDir
    Path dir;

    @Test
    void operationsWaitForAStoppedReplicaAndTimeOutNamingIt() throws Exception {
        // Within one view: a suspicion time longer than the test, so that no view change ends the wait.
        try (LocalCluster cluster = LocalCluster.start(3, dir, "view.suspect.seconds=60")) {
            ReplicaService r1 = service(cluster, 1);
            assertThat(r1.execute(Command.of(7, 1, List.of("set", "x", "1"), 10_000)).ok()).isTrue();

            cluster.stop(3);
            awaitUnreachable(r1, 3);

            Reply reply = r1.execute(Command.of(7, 2, List.of("add", "x", "1"), 700));
            assertThat(reply.status()).isEqualTo(Reply.Status.TIMEOUT);
            assertThat(reply.text()).as("the client, not the replica, gives the verdict")
                    .matches("timed out after 0\\.7s waiting for replica 3 \\(unreachable since \\d\\d:\\d\\d:\\d\\d\\)");

            ReplicaStatus status = r1.status();
            PeerStatus three = peer(status, 3);
            assertThat(three.reachable()).isFalse();
            assertThat(three.waiting()).isEqualTo(1);
            assertThat(peer(status, 2).reachable()).isTrue();
            assertThat(status.bufferLength()).isEqualTo(1);
            assertThat(status.unstamped()).isZero();

            // A second operation is not stamped while the first waits: it queues, and when its
            // client gives up it is taken back, so the answer is definite.
            CompletableFuture<Reply> second = CompletableFuture.supplyAsync(() -> {
                try {
                    return r1.execute(Command.of(7, 3, List.of("add", "x", "2"), 1_500));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (r1.status().unstamped() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(r1.status().unstamped()).as("queued, not stamped").isEqualTo(1);
            assertThat(r1.status().bufferLength()).isEqualTo(1);
            Reply withdrawn = second.get(10, TimeUnit.SECONDS);
            assertThat(withdrawn.status()).isEqualTo(Reply.Status.NOT_APPLIED);
            assertThat(withdrawn.text()).matches("timed out after 1\\.5s waiting for replica 3 "
                    + "\\(unreachable since \\d\\d:\\d\\d:\\d\\d\\), still queued behind this replica's earlier requests");
            assertThat(r1.status().unstamped()).as("taken back").isZero();

            // Replica 2 still answers everything that does not need the protocol.
            ReplicaService r2 = service(cluster, 2);
            assertThat(r2.tick()).isPositive();
            assertThat(r2.hash()).isEqualTo(cluster.awaitConverged());
        }
    }

    private static ReplicaService service(LocalCluster cluster, int id) throws Exception {
        ReplicaAddress a = cluster.config().replica(id);
        return Rmi.replicaService(a.host(), a.port());
    }

    private static PeerStatus peer(ReplicaStatus status, int id) {
        for (PeerStatus p : status.peers()) {
            if (p.id() == id) {
                return p;
            }
        }
        throw new AssertionError("no peer " + id + " in " + status);
    }

    private static void awaitUnreachable(ReplicaService r, int peer) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (peer(r.status(), peer).reachable()) {
            assertThat(System.nanoTime()).as("replica %d seen unreachable within 10s", peer).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
