package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lamportkv.core.Request;
import lamportkv.core.Result;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bug 6 of the review: the event loop used to log a task's unexpected exception and commit the
 * round anyway. Now anything unexpected on the loop stops the replica: the round with the bug is
 * never committed (its client is not told it succeeded), every later operation is refused with a
 * status the client retries elsewhere, and the process is told to exit (here: a handler), so that
 * recovery from the log — which holds only whole rounds — takes over.
 */
class FailStopTest {
    @TempDir
    Path dir;

    @Test
    void aBugOnTheLoopStopsTheReplicaAndItsRoundNeverCommits() throws Exception {
        LocalCluster cluster = LocalCluster.create(1, dir);
        CompletableFuture<String> exited = new CompletableFuture<>();
        try (Replica replica = Replica.start(cluster.config(), 1, exited::complete)) {
            Reply first = replica.clientService().execute(Command.of(7, 1, List.of("set", "x", "1"), 5_000));
            assertThat(first).isEqualTo(new Reply(Reply.Status.OK, "OK"));
            replica.addListener(new ReplicaListener() {
                @Override
                public void applied(Request request, Result result) {
                    if (request.op().words().contains("boom")) {
                        throw new IllegalStateException("a bug in a listener");
                    }
                }
            });
            Reply bug = replica.clientService().execute(Command.of(7, 2, List.of("set", "x", "boom"), 5_000));
            assertThat(bug.status()).as("not told it was applied: the round never committed")
                    .isEqualTo(Reply.Status.ABANDONED);
            String why = exited.get(5, TimeUnit.SECONDS);
            assertThat(why).startsWith("replica 1 stopped after a bug on the event loop: java.lang.IllegalStateException:"
                    + " a bug in a listener; it exits so that recovery from its log takes over");
            assertThat(replica.failure()).contains(why);
            Reply later = replica.clientService().execute(Command.of(7, 3, List.of("get", "x"), 5_000));
            assertThat(later.status()).as("refused, to be retried elsewhere").isEqualTo(Reply.Status.UNAVAILABLE);
            assertThat(later.text()).isEqualTo(why);
        }
        // Recovery from the log: the first operation is there, the one whose round failed is not.
        try (Replica again = Replica.start(cluster.config(), 1)) {
            Reply x = again.clientService().execute(Command.of(8, 1, List.of("get", "x"), 5_000));
            assertThat(x).isEqualTo(new Reply(Reply.Status.OK, "1"));
        }
    }
}
