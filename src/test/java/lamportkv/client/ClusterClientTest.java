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
    void casAndRevisions() {
        assertThat(client("cas", "c-leader", "(nil)", "w7")).isEqualTo(ok("1"));
        assertThat(client("cas", "c-leader", "(nil)", "w8")).isEqualTo(ok("0"));
        long changed = Long.parseLong(client("rev", "c-leader").outLines().get(0));
        long now = Long.parseLong(client("--replica", "3", "rev").outLines().get(0));
        assertThat(now).isGreaterThan(changed);
        assertThat(client("rev", "c-never")).isEqualTo(ok("0"));
        assertThat(client("cas", "c-leader", "w7")).isEqualTo(new ClientRun(1, "",
                "error: wrong number of arguments for 'cas': usage: cas KEY EXPECTED NEW\n"));
    }

    @Test
    void watchPrintsEachChangeFromARevision() {
        long from = Long.parseLong(client("rev").outLines().get(0)) + 1;
        client("set", "w-a", "1");
        client("set", "other", "1");
        client("del", "w-a");
        client("set", "w-b", "two words");
        ClientRun r = client("--replica", "2", "watch", "w-*", "--from", String.valueOf(from), "--count", "3");
        assertThat(r.status()).isZero();
        assertThat(r.outLines()).hasSize(3);
        assertThat(r.outLines()).extracting(l -> l.substring(l.indexOf(' ') + 1))
                .containsExactly("w-a 1", "w-a (deleted)", "w-b two words");
        assertThat(r.outLines()).extracting(l -> Long.parseLong(l.split(" ")[0])).isSorted().doesNotHaveDuplicates();
        assertThat(client("watch", "w-*", "--count", "0").err()).contains("bad --count: 0");
        assertThat(client("watch", "bad key").err()).isEqualTo("error: bad key: bad key (no whitespace or control characters)\n");
        assertThat(client("watch").err()).contains("wrong number of arguments for 'watch'");
        assertThat(client("watch", "w-*", "--from", "1", "--bogus", "2").err()).contains("unknown option for 'watch': --bogus");
    }

    @Test
    void locksGiveIncreasingTokensAndReleaseByToken() {
        long first = Long.parseLong(client("lock", "c-lock", "30").outLines().get(0));
        assertThat(client("renew", "c-lock", String.valueOf(first))).isEqualTo(ok("1"));
        ClientRun waited = client("--timeout", "2", "lock", "c-lock", "30", "0.5");
        assertThat(waited.status()).as("held by the first: the second waits, then leaves the queue").isOne();
        assertThat(waited.err()).contains("waiting for lock c-lock").contains("was not granted within 0.5s; left the queue");
        assertThat(client("unlock", "c-lock", String.valueOf(first))).isEqualTo(ok("1"));
        assertThat(client("unlock", "c-lock", String.valueOf(first))).isEqualTo(ok("0"));
        long second = Long.parseLong(client("--replica", "2", "lock", "c-lock", "30").outLines().get(0));
        assertThat(second).isGreaterThan(first);
        assertThat(client("lock", "c-lock", "0")).isEqualTo(new ClientRun(1, "",
                "error: bad TTL: 0 (more than 0 and at most 86400 seconds, to the millisecond)\n"));
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
