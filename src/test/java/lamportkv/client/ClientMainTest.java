package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's options, checks and error paths, against stand-in replicas: no cluster needed. */
class ClientMainTest {
    @TempDir
    Path dir;

    private FakeReplica replica;

    @BeforeEach
    void startFake() throws Exception {
        replica = FakeReplica.start(1);
    }

    @AfterEach
    void stopFake() {
        replica.close();
    }

    private Path config(String... lines) throws Exception {
        Path file = dir.resolve("replicas.properties");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    private ClientRun connected(String... args) {
        return ClientRun.of(concat(List.of("--connect", replica.hostPort()), List.of(args)));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    // ---- usage errors: exit 2 ----------------------------------------------------------------

    @Test
    void unknownOptionIsAUsageError() {
        ClientRun r = ClientRun.of("--bogus", "get", "x");
        assertThat(r).isEqualTo(new ClientRun(2, "", "error: Unknown option: '--bogus' (see run-client.sh --help)\n"));
    }

    @Test
    void optionWithoutItsValueIsAUsageError() {
        ClientRun r = ClientRun.of("--replica");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: Missing required parameter for option '--replica'");
    }

    @Test
    void unknownReplicaIdIsAUsageErrorNamingTheIds() throws Exception {
        Path file = config("replica.1=127.0.0.1:7101", "replica.2=127.0.0.1:7102");
        ClientRun r = ClientRun.of("--config", file.toString(), "--replica", "7", "get", "x");
        assertThat(r).isEqualTo(new ClientRun(2, "", "error: replica 7 is not in " + file + " (replicas: 1, 2)\n"));
    }

    @Test
    void badConfigIsAUsageErrorWithTheConfigMessage() throws Exception {
        Path file = config("replica.1=127.0.0.1:7101", "replica.2=127.0.0.1:71o2");
        ClientRun r = ClientRun.of("--config", file.toString(), "get", "x");
        assertThat(r).isEqualTo(new ClientRun(2, "", "error: " + file
                + ":2: bad port \"71o2\" in \"replica.2=127.0.0.1:71o2\" (expected 1-65535)\n"));
    }

    @Test
    void missingConfigIsAUsageErrorSayingWhatToDo() {
        Path missing = dir.resolve("nowhere.properties");
        ClientRun r = ClientRun.of("--config", missing.toString(), "get", "x");
        assertThat(r).isEqualTo(new ClientRun(2, "",
                "error: " + missing + ": no such file (give the cluster's configuration with --config FILE)\n"));
    }

    @Test
    void badTimeoutAndWaitAreUsageErrors() {
        assertThat(connected("--timeout", "0", "get", "x"))
                .isEqualTo(new ClientRun(2, "", "error: --timeout: expected a positive number of seconds"
                        + " (e.g. 10 or 2.5), found '0'\n"));
        assertThat(connected("--timeout", "soon", "get", "x").status()).isEqualTo(2);
        assertThat(connected("--wait", "-1", "get", "x"))
                .isEqualTo(new ClientRun(2, "", "error: --wait: expected a number of seconds (e.g. 10 or 2.5),"
                        + " found '-1'\n"));
        assertThat(replica.received()).isEmpty();
    }

    @Test
    void replicaAndConnectExcludeEachOther() {
        ClientRun r = ClientRun.of("--replica", "1", "--connect", replica.hostPort(), "get", "x");
        assertThat(r).isEqualTo(new ClientRun(2, "", "error: --replica and --connect exclude each other: give one\n"));
    }

    @Test
    void badConnectAddressIsAUsageError() {
        ClientRun r = ClientRun.of("--connect", "localhost", "get", "x");
        assertThat(r).isEqualTo(new ClientRun(2, "", "error: --connect: expected HOST:PORT"
                + " (e.g. 127.0.0.1:7101 or [::1]:7101), found 'localhost'\n"));
    }

    @Test
    void helpOptionPrintsUsageAndTheCommands() {
        ClientRun r = ClientRun.of("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("Usage: run-client.sh").contains("  add KEY N ", "  status ");
        assertThat(r.err()).isEmpty();
    }

    // ---- bad commands: exit 1, nothing sent --------------------------------------------------

    @Test
    void badCommandsFailWithTheirMessageAndSendNothing() {
        assertThat(connected("add", "x", "abc")).isEqualTo(new ClientRun(1, "", "error: not a number: abc\n"));
        assertThat(connected("set", "a\tb", "1")).isEqualTo(new ClientRun(1, "",
                "error: bad key: a?b (no whitespace or control characters)\n"));
        assertThat(connected("get")).isEqualTo(new ClientRun(1, "",
                "error: wrong number of arguments for 'get': usage: get KEY\n"));
        assertThat(connected("keys", "x", "y")).isEqualTo(new ClientRun(1, "",
                "error: wrong number of arguments for 'keys': usage: keys [AFTER]\n"));
        assertThat(connected("tick", "now")).isEqualTo(new ClientRun(1, "",
                "error: wrong number of arguments for 'tick': usage: tick\n"));
        assertThat(connected("foo", "bar")).isEqualTo(new ClientRun(1, "",
                "error: unknown command: foo (type help for the list)\n"));
        assertThat(replica.received()).isEmpty();
    }

    @Test
    void aGoodCommandIsSentWithItsWordsAndTimeout() {
        ClientRun r = connected("--timeout", "2.5", "add", "x", "-5");
        assertThat(r).isEqualTo(new ClientRun(0, "fake add x -5\n", ""));
        Command sent = replica.received().get(0);
        assertThat(sent.wordList()).containsExactly("add", "x", "-5");
        assertThat(sent.timeoutMillis()).as("the budget left").isBetween(2000L, 2500L);
        assertThat(sent.seq()).isEqualTo(1);
    }

    @Test
    void commandWordsAreCaseInsensitive() {
        assertThat(connected("SET", "x", "1")).isEqualTo(new ClientRun(0, "fake set x 1\n", ""));
    }

    @Test
    void repliesOtherThanOkAreErrorsWithTheClientsVerdict() {
        Map<Reply.Status, String> verdicts = Map.of(Reply.Status.FAILED, "", Reply.Status.REFUSED, "",
                Reply.Status.TIMEOUT, "; the operation may still be applied", Reply.Status.NOT_APPLIED, "; not applied");
        verdicts.forEach((status, verdict) -> {
            replica.answer(c -> new Reply(status, "no luck: " + status));
            assertThat(connected("get", "x")).isEqualTo(new ClientRun(1, "", "error: no luck: " + status + verdict + "\n"));
        });
    }

    @Test
    void localCommandsAskTheReplicaDirectly() {
        assertThat(connected("tick")).isEqualTo(new ClientRun(0, "42\n", ""));
        assertThat(connected("hash")).isEqualTo(new ClientRun(0, "applied=7 digest=ab12\n", ""));
        assertThat(connected("help").outLines()).hasSize(Verb.values().length).first().asString().startsWith("set KEY VALUE");
        assertThat(replica.received()).isEmpty();
    }

    // ---- unreachable replicas ------------------------------------------------------------------

    @Test
    void anUnreachableConnectAddressIsRetriedUntilTheBudgetEndsAndNamed() {
        int port = FakeReplica.freePort();
        long started = System.nanoTime();
        ClientRun r = ClientRun.of("--connect", "127.0.0.1:" + port, "--timeout", "0.5", "get", "x");
        assertThat((System.nanoTime() - started) / 1_000_000).as("ms taken for a 0.5 s budget").isLessThan(3_000);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).last().isEqualTo("error: timed out after 0.5s: no replica answered (the replica at 127.0.0.1:"
                + port + " is unreachable (Connection refused)); not applied: no replica was reached");
        assertThat(r.errLines()).first().isEqualTo("retrying 'get x' on the replica at 127.0.0.1:" + port
                + ": the replica at 127.0.0.1:" + port + " is unreachable (Connection refused)");
    }

    @Test
    void aNamedReplicaThatIsDownPassesATaggedOperationToTheNextButNotStatus() throws Exception {
        int dead = FakeReplica.freePort();
        Path file = config("replica.1=127.0.0.1:" + dead, "replica.2=" + replica.hostPort());
        ClientRun r = ClientRun.of("--config", file.toString(), "--replica", "1", "get", "x");
        assertThat(r).isEqualTo(new ClientRun(0, "fake get x\n", "retrying 'get x' on replica 2 at " + replica.hostPort()
                + ": replica 1 at 127.0.0.1:" + dead + " is unreachable (Connection refused)\n"));
        assertThat(replica.received()).hasSize(1);

        ClientRun status = ClientRun.of("--config", file.toString(), "--replica", "1", "status");
        assertThat(status).isEqualTo(new ClientRun(1, "",
                "error: cannot reach replica 1 at 127.0.0.1:" + dead + ": Connection refused\n"));
    }

    @Test
    void defaultReplicaDownFailsOverToTheNextWithANotice() throws Exception {
        int dead = FakeReplica.freePort();
        Path file = config("replica.1=127.0.0.1:" + dead, "replica.2=" + replica.hostPort());
        ClientRun r = ClientRun.of("--config", file.toString(), "set", "x", "1");
        assertThat(r).isEqualTo(new ClientRun(0, "fake set x 1\n", "retrying 'set x 1' on replica 2 at "
                + replica.hostPort() + ": replica 1 at 127.0.0.1:" + dead + " is unreachable (Connection refused)\n"));
        assertThat(replica.received()).hasSize(1);
    }

    @Test
    void noReplicaReachableTimesOutNamingEachAndWhy() throws Exception {
        int dead1 = FakeReplica.freePort();
        int dead2 = FakeReplica.freePort();
        Path file = config("replica.1=127.0.0.1:" + dead1, "replica.2=127.0.0.1:" + dead2);
        ClientRun r = ClientRun.of("--config", file.toString(), "--timeout", "0.5", "get", "x");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).first().isEqualTo("retrying 'get x' on replica 2 at 127.0.0.1:" + dead2
                + ": replica 1 at 127.0.0.1:" + dead1 + " is unreachable (Connection refused)");
        assertThat(r.errLines()).last().isEqualTo("error: timed out after 0.5s: no replica answered (replica 1 at 127.0.0.1:"
                + dead1 + " is unreachable (Connection refused); replica 2 at 127.0.0.1:" + dead2
                + " is unreachable (Connection refused)); not applied: no replica was reached");
    }

    @Test
    void lostContactMidCallIsRetriedWithTheSameTagAndAnsweredOnce() throws Exception {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        replica.answer(c -> {
            if (calls.incrementAndGet() == 1) {
                replica.cutConnection();   // applied, but the answer is lost
                return new Reply(Reply.Status.OK, "6");
            }
            return new Reply(Reply.Status.OK, "7");
        });
        ClientRun r = connected("add", "x", "1");
        assertThat(r).isEqualTo(new ClientRun(0, "7\n", "retrying 'add x 1' on the replica at " + replica.hostPort()
                + ": lost contact with the replica at " + replica.hostPort() + " (Connection reset)\n"));
        assertThat(replica.received()).hasSize(2);
        assertThat(replica.received().get(1).clientId()).isEqualTo(replica.received().get(0).clientId());
        assertThat(replica.received().get(1).seq()).isEqualTo(replica.received().get(0).seq());
    }

    @Test
    void aStoppingReplicaIsRetriedButAFailedOperationIsNot() throws Exception {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        replica.answer(c -> calls.incrementAndGet() == 1
                ? new Reply(Reply.Status.UNAVAILABLE, "replica 1 is stopping; try another replica")
                : new Reply(Reply.Status.FAILED, "not a number: x"));
        ClientRun r = connected("add", "x", "1");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly(
                "retrying 'add x 1' on the replica at " + replica.hostPort()
                        + ": replica 1 is stopping; try another replica",
                "error: not a number: x");
        assertThat(replica.received()).hasSize(2);
    }

    @Test
    void waitKeepsTryingUntilTheReplicaAppears() throws Exception {
        int port = FakeReplica.freePort();
        FakeReplica[] late = new FakeReplica[1];
        Thread starter = new Thread(() -> {
            try {
                Thread.sleep(700);
                late[0] = FakeReplica.start(2, port);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        starter.start();
        try {
            ClientRun r = ClientRun.of("--connect", "127.0.0.1:" + port, "--wait", "20", "hash");
            assertThat(r).isEqualTo(new ClientRun(0, "applied=7 digest=ab12\n", ""));
        } finally {
            starter.join();
            late[0].close();
        }
    }

    @Test
    void waitGivesUpAfterItsTime() {
        int port = FakeReplica.freePort();
        long start = System.nanoTime();
        ClientRun r = ClientRun.of("--connect", "127.0.0.1:" + port, "--wait", "0.5", "hash");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(500_000_000L);
        assertThat(r).isEqualTo(new ClientRun(1, "",
                "error: cannot reach the replica at 127.0.0.1:" + port + ": Connection refused (waited 0.5s)\n"));
    }

    // ---- piped input ------------------------------------------------------------------------------

    @Test
    void pipedLinesRunInOrderAndAnyFailureMakesExitOne() {
        replica.answer(c -> c.wordList().get(0).equals("get") ? new Reply(Reply.Status.OK, "(nil)")
                : new Reply(Reply.Status.OK, "OK"));
        String input = "set a 1\n\n   \nadd a x\nfoo\nset greeting \"hello world\"\nget a\nset b 'x\n";
        ClientRun r = ClientRun.piped(List.of("--connect", replica.hostPort()), input);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.outLines()).containsExactly("OK", "OK", "(nil)");
        assertThat(r.errLines()).containsExactly(
                "error: not a number: x",
                "error: unknown command: foo (type help for the list)",
                "error: unclosed single quote; close it, or put the text in the other kind of quotes");
        List<Command> sent = replica.received();
        assertThat(sent).extracting(Command::wordList).containsExactly(
                List.of("set", "a", "1"), List.of("set", "greeting", "hello world"), List.of("get", "a"));
        assertThat(sent).extracting(Command::seq).containsExactly(1L, 2L, 3L);
        assertThat(sent).extracting(Command::clientId).containsOnly(sent.get(0).clientId());
    }

    @Test
    void pipedInputThatAllSucceedsExitsZeroAndStopsAtExit() {
        ClientRun r = ClientRun.piped(List.of("--connect", replica.hostPort()), "tick\nhash\nexit\nfoo\n");
        assertThat(r).isEqualTo(new ClientRun(0, "42\napplied=7 digest=ab12\n", ""));
    }

    @Test
    void pipedHelpListsTheCommands() {
        ClientRun r = ClientRun.piped(List.of("--connect", replica.hostPort()), "help\n");
        assertThat(r.status()).isZero();
        assertThat(r.outLines()).extracting(l -> l.split(" ")[0])
                .containsExactly("set", "get", "add", "mult", "del", "keys", "cas", "rev", "watch", "lock", "renew", "unlock",
                        "tick", "hash", "status", "help", "exit");
    }

    @Test
    void clientsPickDifferentIds() {
        connected("set", "x", "1");
        connected("set", "x", "1");
        assertThat(replica.received().get(0).clientId()).isNotEqualTo(replica.received().get(1).clientId());
    }
}
