package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real cluster of three replicas in this JVM, as a user would run it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterClientTest {
    private LocalCluster cluster;

    @BeforeAll
    void startCluster(@TempDir Path dir) {
        cluster = LocalCluster.start(3, dir);
    }

    @AfterAll
    void stopCluster() {
        cluster.close();
    }

    private ClientRun client(String... args) {
        List<String> all = new ArrayList<>(List.of("--config", cluster.configFile().toString()));
        all.addAll(List.of(args));
        return ClientRun.of(all);
    }

    private static ClientRun ok(String out) {
        return new ClientRun(0, out + "\n", "");
    }

    @Test
    void replicatedCommandsPrintTheirResults() {
        assertThat(client("set", "n", "5")).isEqualTo(ok("OK"));
        assertThat(client("--replica", "2", "get", "n")).isEqualTo(ok("5"));
        assertThat(client("--replica", "3", "add", "n", "2.5")).isEqualTo(ok("7.5"));
        assertThat(client("mult", "n", "-2")).isEqualTo(ok("-15"));
        assertThat(client("get", "nothing")).isEqualTo(ok("(nil)"));
        assertThat(client("del", "n")).isEqualTo(ok("1"));
        assertThat(client("del", "n")).isEqualTo(ok("0"));
        assertThat(client("get", "n")).isEqualTo(ok("(nil)"));
    }

    @Test
    void failingOperationsAreErrors() {
        assertThat(client("set", "t", "hello world")).isEqualTo(ok("OK"));
        assertThat(client("get", "t")).isEqualTo(ok("hello world"));
        assertThat(client("add", "t", "1")).isEqualTo(new ClientRun(1, "", "error: not a number: t\n"));
        assertThat(client("mult", "absent", "2")).isEqualTo(new ClientRun(1, "", "error: no such key: absent\n"));
    }

    @Test
    void keysAreSortedOnOneLine() {
        // Other tests add keys too: look only at ours, which sort together.
        client("set", "k-b", "1");
        client("set", "k-a", "1");
        client("set", "k-c", "1");
        ClientRun r = client("keys");
        assertThat(r.status()).isZero();
        assertThat(r.outLines()).hasSize(1);
        assertThat(List.of(r.outLines().get(0).split(" "))).containsSubsequence("k-a", "k-b", "k-c").isSorted();
    }

    @Test
    void tickAdvancesTheConnectedReplicasClock() {
        long first = Long.parseLong(client("--replica", "2", "tick").outLines().get(0));
        long second = Long.parseLong(client("--replica", "2", "tick").outLines().get(0));
        assertThat(second).isGreaterThan(first);
    }

    @Test
    void hashesAgreeOnceEveryReplicaAppliedTheSameOperations() throws Exception {
        client("set", "h", "1");
        client("add", "h", "1");
        String one = "";
        String three = "-";
        for (int i = 0; i < 100 && !one.equals(three); i++) {
            one = client("--replica", "1", "hash").out();
            three = client("--replica", "3", "hash").out();
            Thread.sleep(50);
        }
        assertThat(one).matches("applied=\\d+ digest=[0-9a-f]+\n").isEqualTo(three);
    }

    @Test
    void statusShowsTheReplicaAndItsPeers() throws Exception {
        // An operation through replica 2 makes it reach both peers.
        assertThat(client("--replica", "2", "set", "s", "1")).isEqualTo(ok("OK"));
        ClientRun r = client("--replica", "2", "status");
        for (int i = 0; i < 100 && r.out().contains("not contacted yet"); i++) {
            Thread.sleep(50);
            r = client("--replica", "2", "status");
        }
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        String self = cluster.config().find(2).orElseThrow().hostPort();
        String one = cluster.config().find(1).orElseThrow().hostPort();
        String three = cluster.config().find(3).orElseThrow().hostPort();
        assertThat(r.outLines()).hasSize(9);
        assertThat(r.outLines().get(0)).isEqualTo("replica 2 at " + self);
        assertThat(r.outLines().get(1)).isEqualTo("view:    0 (members 1 2 3)");
        assertThat(r.outLines().get(2)).matches("clock:   \\d+");
        assertThat(r.outLines().get(3)).matches("buffer:  \\d+ requests? waiting to be applied");
        assertThat(r.outLines().get(4)).matches("applied: \\d+ operations?");
        assertThat(r.outLines().get(5)).matches("digest:  [0-9a-f]+");
        assertThat(r.outLines().get(6)).matches("clients: \\d+ remembered for retries");
        assertThat(r.outLines().get(7)).isEqualTo("peer 1 at " + one + ": reachable");
        assertThat(r.outLines().get(8)).isEqualTo("peer 3 at " + three + ": reachable");
    }

    @Test
    void pipedSessionRunsEveryLineInOrder() {
        String input = "set p 10\nadd p 5\nbogus\nmult p 2\nget p\nadd p x\ndel p\nkeys x y\nget p\n";
        ClientRun r = ClientRun.piped(List.of("--config", cluster.configFile().toString(), "--replica", "3"), input);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly("OK", "15", "30", "30", "1", "(nil)");
        assertThat(r.errLines()).containsExactly(
                "error: unknown command: bogus (type help for the list)",
                "error: not a number: x",
                "error: wrong number of arguments for 'keys': usage: keys [AFTER]");
    }
}
