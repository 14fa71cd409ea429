package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InvalidClassException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.UnmarshalException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Exactly-once retries against stand-in replicas: an attempt without an answer is repeated with
 * the same client id and sequence number on the next replica, within the --timeout budget.
 */
class RetryTest {
    private static final String STOPPING = "replica 1 is stopping; try another replica";
    private static final String QUEUED = "timed out after 2s waiting for replica 3 (unreachable since 12:00:00),"
            + " still queued behind this replica's earlier requests";

    @TempDir
    Path dir;

    private FakeReplica one;
    private FakeReplica two;

    @BeforeEach
    void startFakes() throws Exception {
        one = FakeReplica.start(1);
        two = FakeReplica.start(2);
    }

    @AfterEach
    void stopFakes() {
        one.close();
        two.close();
    }

    private Path config(String first, String second) throws Exception {
        return config(first, second, "");
    }

    private Path config(String first, String second, String settings) throws Exception {
        Path file = dir.resolve("replicas.properties");
        Files.writeString(file, "replica.1=" + first + "\nreplica.2=" + second + "\n" + settings);
        return file;
    }

    private ClientRun client(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--config", config(one.hostPort(), two.hostPort()).toString()));
        all.addAll(List.of(args));
        return ClientRun.of(all);
    }

    private static String dead() {
        return "127.0.0.1:" + FakeReplica.freePort();
    }

    private static void assertSameTag(List<Command> attempts) {
        assertThat(attempts).extracting(Command::clientId).containsOnly(attempts.get(0).clientId());
        assertThat(attempts).extracting(Command::seq).containsOnly(attempts.get(0).seq());
        assertThat(attempts).extracting(Command::wordList).containsOnly(attempts.get(0).wordList());
    }

    // ---- what is retried -----------------------------------------------------------------------

    @Test
    void lostContactMidCallIsRetriedOnTheNextReplicaWithTheSameTag() throws Exception {
        one.answer(c -> {
            one.cutConnection();   // applied on the cluster, but the answer never reaches the client
            return new Reply(Reply.Status.OK, "7");
        });
        two.answer(c -> new Reply(Reply.Status.OK, "7"));
        ClientRun r = client("--timeout", "5", "add", "x", "1");
        assertThat(r).isEqualTo(new ClientRun(0, "7\n", "retrying 'add x 1' on replica 2 at " + two.hostPort()
                + ": lost contact with replica 1 at " + one.hostPort() + " (Connection reset)\n"));
        assertThat(one.received()).hasSize(1);
        assertThat(two.received()).hasSize(1);
        List<Command> attempts = List.of(one.received().get(0), two.received().get(0));
        assertSameTag(attempts);
        assertThat(attempts.get(0).clientId()).isNotZero();
        assertThat(attempts.get(1).timeoutMillis()).as("the budget left")
                .isLessThanOrEqualTo(attempts.get(0).timeoutMillis()).isGreaterThan(4_000);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "UNAVAILABLE|" + STOPPING,
        "UNAVAILABLE|replica 1 stopped accepting work: the log stopped accepting records; fix the disk or free space,"
                + " then restart the replica",
        "ABANDONED|replica 1 stopped accepting work: the log stopped accepting records; fix the disk or free space,"
                + " then restart the replica",
        "ABANDONED|replica 1 is stopping",
        "UNAVAILABLE|replica 1 is busy with 10000 operations in flight; retry shortly",
        // Decided by the status: texts the client never matched.
        "UNAVAILABLE|replica 1 is not a member of a working view",
        "ABANDONED|replica 1 lost its disk after it took the operation"})
    void aReplicaThatCannotTakeTheOperationNowPassesItOn(Reply.Status status, String text) throws Exception {
        one.answer(c -> new Reply(status, text));
        two.answer(c -> new Reply(Reply.Status.OK, "OK"));
        ClientRun r = client("set", "x", "1");
        assertThat(r).isEqualTo(new ClientRun(0, "OK\n", "retrying 'set x 1' on replica 2 at " + two.hostPort()
                + ": " + text + "\n"));
        assertSameTag(List.of(one.received().get(0), two.received().get(0)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "FAILED|not a number: x|",
        "REFUSED|bad key: a?b (no whitespace or control characters)|",
        "REFUSED|not a number: abc|",
        // Decided by the status: a refusal whose text the old client took for "stopping".
        "REFUSED|not a number: x is stopping|",
        "TIMEOUT|timed out after 2s waiting for replica 3 (unreachable since 12:00:00)|; the operation may still be applied",
        "TIMEOUT|replica 1 could not commit in time|; the operation may still be applied",
        "NOT_APPLIED|" + QUEUED + "|; not applied"})
    void answersEveryReplicaWouldRepeatAreNotRetried(Reply.Status status, String text, String verdict) throws Exception {
        one.answer(c -> new Reply(status, text));
        ClientRun r = client("--timeout", "2", "add", "x", "1");
        assertThat(r).isEqualTo(new ClientRun(1, "", "error: " + text + (verdict == null ? "" : verdict) + "\n"));
        assertThat(one.received()).hasSize(1);
        assertThat(two.received()).isEmpty();
    }

    @Test
    void anExceptionTheReplicaItselfAnsweredWithIsNotRetried() throws Exception {
        // E.g. its deserialization filter refused the arguments: RMI hands the client a ServerException.
        one.answer(c -> {
            throw new UnmarshalException("error unmarshalling arguments", new InvalidClassException("filter status: REJECTED"));
        });
        ClientRun r = client("--timeout", "2", "set", "x", "1");
        assertThat(r).isEqualTo(new ClientRun(1, "", "error: replica 1 at " + one.hostPort()
                + " failed on 'set x 1': filter status: REJECTED\n"));
        assertThat(one.received()).hasSize(1);
        assertThat(two.received()).isEmpty();
    }

    @Test
    void aTimeoutAnswerAfterRetriesNamesTheWholeBudget() throws Exception {
        one.answer(c -> new Reply(Reply.Status.UNAVAILABLE, STOPPING));
        two.answer(c -> new Reply(Reply.Status.TIMEOUT, "timed out after " + Seconds.format(c.timeoutMillis())
                + " waiting for replica 1 (unreachable since 12:00:00)"));
        ClientRun r = client("--timeout", "3", "del", "x");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("retrying 'del x' on replica 2 at " + two.hostPort() + ": " + STOPPING,
                "error: timed out after 3s waiting for replica 1 (unreachable since 12:00:00);"
                        + " the operation may still be applied");
    }

    // ---- what the user is told ------------------------------------------------------------------

    @Test
    void aDefiniteNotAppliedAfterAnAttemptThatLostContactIsNotPassedOn() throws Exception {
        // Bug 2: replica 1 took the first attempt and the answer was lost; replica 2 withdrew its
        // copy in time. Replica 1's copy may still be ordered, so "not applied" would be a lie.
        one.answer(c -> {
            one.cutConnection();
            return new Reply(Reply.Status.OK, "7");
        });
        two.answer(c -> new Reply(Reply.Status.NOT_APPLIED, QUEUED));
        ClientRun r = client("--timeout", "2", "add", "x", "1");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("retrying 'add x 1' on replica 2 at " + two.hostPort()
                        + ": lost contact with replica 1 at " + one.hostPort() + " (Connection reset)",
                "error: " + QUEUED + "; the operation may still be applied (an earlier attempt, at replica 1 ("
                        + one.hostPort() + "), got no answer)");
        assertSameTag(List.of(one.received().get(0), two.received().get(0)));
    }

    @Test
    void anAbandonedAttemptIsRetriedElsewhereAndLeavesTheOutcomeOpen() throws Exception {
        one.answer(c -> new Reply(Reply.Status.ABANDONED, "replica 1 is stopping"));
        two.answer(c -> new Reply(Reply.Status.NOT_APPLIED, QUEUED));
        ClientRun r = client("--timeout", "2", "add", "x", "1");
        assertThat(r.errLines()).containsExactly("retrying 'add x 1' on replica 2 at " + two.hostPort()
                        + ": replica 1 is stopping",
                "error: " + QUEUED + "; the operation may still be applied (an earlier attempt, at replica 1 ("
                        + one.hostPort() + "), was taken there but never answered)");
        assertSameTag(List.of(one.received().get(0), two.received().get(0)));
    }

    @Test
    void aDefiniteNotAppliedAfterAttemptsThatNeverRanIsPassedOn() throws Exception {
        String down = dead();
        two.answer(c -> new Reply(Reply.Status.NOT_APPLIED, QUEUED));
        ClientRun r = ClientRun.of("--config", config(down, two.hostPort()).toString(), "--timeout", "2", "del", "x");
        assertThat(r.errLines()).containsExactly("retrying 'del x' on replica 2 at " + two.hostPort() + ": replica 1 at "
                + down + " is unreachable (Connection refused)", "error: " + QUEUED + "; not applied");
    }

    @Test
    void aBudgetSpentOnReplicasThatCouldNotTakeItIsNotApplied() throws Exception {
        String down = dead();
        two.answer(c -> new Reply(Reply.Status.UNAVAILABLE, "replica 2 is stopping; try another replica"));
        ClientRun r = ClientRun.of("--config", config(down, two.hostPort()).toString(), "--timeout", "0.5", "set", "x", "1");
        assertThat(r.errLines()).last().isEqualTo("error: timed out after 0.5s: no replica answered (replica 1 at "
                + down + " is unreachable (Connection refused); replica 2 is stopping; try another replica);"
                + " not applied: no replica could take it");
    }

    @Test
    void aBudgetSpentAfterLosingContactMayStillApplyAndSaysWhere() throws Exception {
        String down = dead();
        AtomicInteger calls = new AtomicInteger();
        two.answer(c -> {
            if (calls.incrementAndGet() == 1) {
                two.cutConnection();
                return new Reply(Reply.Status.OK, "OK");
            }
            return new Reply(Reply.Status.UNAVAILABLE, "replica 2 is stopping; try another replica");
        });
        ClientRun r = ClientRun.of("--config", config(down, two.hostPort()).toString(), "--replica", "2",
                "--timeout", "0.5", "set", "x", "1");
        assertThat(r.errLines()).last().as("the reason that leaves it open is the one kept")
                .isEqualTo("error: timed out after 0.5s: no replica answered (lost contact with replica 2 at "
                        + two.hostPort() + " (Connection reset); replica 1 at " + down
                        + " is unreachable (Connection refused)); the operation may still be applied");
        assertThat(two.received()).hasSizeGreaterThan(1);
        assertSameTag(two.received());
    }

    // ---- where and how long ----------------------------------------------------------------------

    @Test
    void theNamedReplicaIsTriedFirstThenTheOthersWrappingAround() throws Exception {
        String down = dead();
        AtomicInteger calls = new AtomicInteger();
        two.answer(c -> calls.incrementAndGet() == 1 ? new Reply(Reply.Status.UNAVAILABLE, "replica 2 is stopping")
                : new Reply(Reply.Status.OK, "3"));
        Path file = config(down, two.hostPort());
        ClientRun r = ClientRun.of("--config", file.toString(), "--replica", "2", "mult", "x", "3");
        assertThat(r).isEqualTo(new ClientRun(0, "3\n",
                "retrying 'mult x 3' on replica 1 at " + down + ": replica 2 is stopping\n"
                        + "retrying 'mult x 3' on replica 2 at " + two.hostPort() + ": replica 1 at " + down
                        + " is unreachable (Connection refused)\n"));
        assertThat(two.received()).hasSize(2);
        assertSameTag(two.received());
        assertThat(two.received().get(1).timeoutMillis()).isLessThan(two.received().get(0).timeoutMillis());
    }

    @Test
    void withBothUpTheNamedReplicaAloneIsAsked() throws Exception {
        assertThat(client("--replica", "2", "get", "x")).isEqualTo(new ClientRun(0, "fake get x\n", ""));
        assertThat(one.received()).isEmpty();
        assertThat(two.received()).hasSize(1);
    }

    @Test
    void eachAttemptIsGivenTheBudgetStillLeft() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        one.answer(c -> {
            if (calls.incrementAndGet() <= 3) {
                sleep(150);
                one.cutConnection();
            }
            return new Reply(Reply.Status.OK, "OK");
        });
        ClientRun r = ClientRun.of("--connect", one.hostPort(), "--timeout", "4", "set", "x", "1");
        assertThat(r.status()).isZero();
        assertThat(r.errLines()).hasSize(3).allMatch(l -> l.startsWith("retrying 'set x 1' on the replica at "));
        List<Command> attempts = one.received();
        assertThat(attempts).hasSize(4);
        assertSameTag(attempts);
        List<Long> budgets = attempts.stream().map(Command::timeoutMillis).toList();
        assertThat(budgets.get(0)).isBetween(3_500L, 4_000L);
        for (int i = 1; i < budgets.size(); i++) {
            assertThat(budgets.get(i)).as("attempt %d of %s", i + 1, budgets).isLessThanOrEqualTo(budgets.get(i - 1) - 150);
        }
    }

    @Test
    void withNoReplicaReachableItGivesUpAfterTheBudgetNamingEach() throws Exception {
        String down1 = dead();
        String down2 = dead();
        Path file = config(down1, down2);
        long started = System.nanoTime();
        ClientRun r = ClientRun.of("--config", file.toString(), "--timeout", "0.5", "set", "x", "1");
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(tookMillis).as("ms taken for a 0.5 s budget").isBetween(450L, 2_000L);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).last().as("nothing was sent anywhere").isEqualTo("error: timed out after 0.5s:"
                + " no replica answered (replica 1 at " + down1 + " is unreachable (Connection refused); replica 2 at "
                + down2 + " is unreachable (Connection refused)); not applied: no replica was reached");
        List<String> notices = r.errLines().subList(0, r.errLines().size() - 1);
        assertThat(notices).as("both replicas, again and again, with pauses")
                .contains("retrying 'set x 1' on replica 2 at " + down2 + ": replica 1 at " + down1
                                + " is unreachable (Connection refused)",
                        "retrying 'set x 1' on replica 1 at " + down1 + ": replica 2 at " + down2
                                + " is unreachable (Connection refused)")
                .hasSizeBetween(3, 20);
    }

    @Test
    void aReplicaThatNeverAnswersDoesNotHoldTheClientPastItsBudget() throws Exception {
        CountDownLatch frozen = new CountDownLatch(1);
        one.answer(c -> {
            try {
                frozen.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Reply(Reply.Status.OK, "too late");
        });
        try {
            long started = System.nanoTime();
            ClientRun r = ClientRun.of("--connect", one.hostPort(), "--timeout", "0.5", "get", "x");
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(tookMillis).as("ms taken for a 0.5 s budget")
                    .isBetween(500L, 500 + Connection.ANSWER_GRACE_MILLIS + 1_000);
            assertThat(r.status()).isEqualTo(1);
            assertThat(r.err()).matches("error: timed out after 0\\.5s: no replica answered \\(the replica at "
                    + one.hostPort().replace(".", "\\.") + " did not answer within 1\\.[0-9]+s\\);"
                    + " the operation may still be applied\n");
        } finally {
            frozen.countDown();
        }
    }

    @Test
    void theAttemptLimitIsTheViewSuspicionTimePlusASecond() {
        assertThat(Client.attemptLimitMillis(2_000)).isEqualTo(3_000);
        assertThat(Client.attemptLimitMillis(500)).isEqualTo(1_500);
    }

    /** Replica 1 never answers (frozen: SIGSTOP) until the returned latch is counted down. */
    private CountDownLatch freeze(FakeReplica replica) {
        CountDownLatch frozen = new CountDownLatch(1);
        replica.answer(c -> {
            try {
                frozen.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Reply(Reply.Status.OK, "too late");
        });
        return frozen;
    }

    @Test
    void aFrozenReplicaHoldsAnAttemptOnlyUntilTheAttemptLimitThenTheNextReplicaGetsIt() throws Exception {
        CountDownLatch frozen = freeze(one);
        two.answer(c -> new Reply(Reply.Status.OK, "OK"));
        try {
            Path file = config(one.hostPort(), two.hostPort(), "view.suspect.seconds=0.5\n");
            long started = System.nanoTime();
            ClientRun r = ClientRun.of("--config", file.toString(), "--timeout", "10", "set", "x", "1");
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(r).isEqualTo(new ClientRun(0, "OK\n", "retrying 'set x 1' on replica 2 at " + two.hostPort()
                    + ": replica 1 at " + one.hostPort() + " did not answer within 1.5s\n"));
            assertThat(tookMillis).as("ms taken: the 1.5 s attempt limit, not the 10 s budget").isBetween(1_500L, 4_000L);
            List<Command> attempts = List.of(one.received().get(0), two.received().get(0));
            assertSameTag(attempts);
            assertThat(attempts.get(0).timeoutMillis()).as("the replica is still given the whole budget").isGreaterThan(9_000);
            assertThat(attempts.get(1).timeoutMillis()).as("and the next one what is left").isBetween(7_000L, 8_600L);
        } finally {
            frozen.countDown();
        }
    }

    @Test
    void anAttemptCutShortByTheLimitMayHaveReachedItsReplica() throws Exception {
        CountDownLatch frozen = freeze(one);
        two.answer(c -> new Reply(Reply.Status.NOT_APPLIED, QUEUED));
        try {
            Path file = config(one.hostPort(), two.hostPort(), "view.suspect.seconds=0.5\n");
            ClientRun r = ClientRun.of("--config", file.toString(), "--timeout", "10", "add", "x", "1");
            assertThat(r.status()).isEqualTo(1);
            assertThat(r.errLines()).last().isEqualTo("error: timed out after 10s waiting for replica 3 (unreachable"
                    + " since 12:00:00), still queued behind this replica's earlier requests; the operation may still be"
                    + " applied (an earlier attempt, at replica 1 (" + one.hostPort() + "), got no answer)");
        } finally {
            frozen.countDown();
        }
    }

    @Test
    void aViewChangeThatMakesEveryReplicaUnavailableForAWhileIsWaitedOut() throws Exception {
        // Every replica answers UNAVAILABLE (not a member of a working view, changing views) for 2 s.
        long until = System.nanoTime() + 2_000_000_000L;
        FakeReplica.Answer changing = c -> System.nanoTime() - until < 0
                ? new Reply(Reply.Status.UNAVAILABLE, "replica is changing views; try another replica")
                : new Reply(Reply.Status.OK, "3");
        one.answer(changing);
        two.answer(changing);
        ClientRun r = client("add", "x", "3");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("3\n");
        assertThat(r.errLines()).as("notices only, no error").isNotEmpty()
                .allMatch(l -> l.startsWith("retrying 'add x 3' on replica "));
        List<Command> attempts = new ArrayList<>(one.received());
        attempts.addAll(two.received());
        assertThat(attempts).hasSizeGreaterThan(4);
        assertSameTag(attempts);
    }

    @Test
    void waitLetsAnOperationKeepTryingUntilAReplicaAppears() throws Exception {
        int port = FakeReplica.freePort();
        FakeReplica[] late = new FakeReplica[1];
        Thread starter = new Thread(() -> {
            try {
                Thread.sleep(1_000);
                late[0] = FakeReplica.start(3, port);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        starter.start();
        try {
            ClientRun r = ClientRun.of("--connect", "127.0.0.1:" + port, "--wait", "20", "--timeout", "0.5", "get", "x");
            assertThat(r.status()).isZero();
            assertThat(r.out()).isEqualTo("fake get x\n");
            assertThat(r.errLines()).isNotEmpty().allMatch(l -> l.startsWith("retrying 'get x' on the replica at 127.0.0.1:"
                    + port + ": the replica at 127.0.0.1:" + port + " is unreachable ("));
            starter.join();
            assertThat(late[0].received()).singleElement().extracting(Command::timeoutMillis)
                    .as("never more than --timeout").isEqualTo(500L);
        } finally {
            starter.join();
            if (late[0] != null) {
                late[0].close();
            }
        }
    }

    @Test
    void statusAndTickNeverLeaveANamedReplica() throws Exception {
        String down = dead();
        Path file = config(down, two.hostPort());
        for (String verb : List.of("status", "tick", "hash")) {
            ClientRun r = ClientRun.of("--config", file.toString(), "--replica", "1", verb);
            assertThat(r).isEqualTo(new ClientRun(1, "", "error: cannot reach replica 1 at " + down
                    + ": Connection refused\n"));
        }
        ClientRun unnamed = ClientRun.of("--config", file.toString(), "tick");
        assertThat(unnamed).isEqualTo(new ClientRun(0, "42\n", "replica 1 at " + down
                + " is unreachable (Connection refused); trying replica 2 at " + two.hostPort() + "\n"));
    }

    // ---- sessions --------------------------------------------------------------------------------

    @Test
    void pipedLinesStayOnTheReplicaThatAnsweredAndEachHasItsOwnSeq() throws Exception {
        String down = dead();
        Path file = config(down, two.hostPort());
        ClientRun r = ClientRun.piped(List.of("--config", file.toString()), "set a 1\nget a\nadd a 2\n");
        assertThat(r).isEqualTo(new ClientRun(0, "fake set a 1\nfake get a\nfake add a 2\n",
                "retrying 'set a 1' on replica 2 at " + two.hostPort() + ": replica 1 at " + down
                        + " is unreachable (Connection refused)\n"));
        assertThat(two.received()).extracting(Command::seq).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aRetriedPipedLineKeepsItsSeqAndTheNextLineGetsANewOne() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        one.answer(c -> {
            if (calls.incrementAndGet() == 1) {
                one.cutConnection();
            }
            return new Reply(Reply.Status.OK, String.valueOf(calls.get()));
        });
        ClientRun r = ClientRun.piped(List.of("--connect", one.hostPort()), "add x 1\nadd x 1\n");
        assertThat(r.status()).isZero();
        assertThat(r.outLines()).containsExactly("2", "3");
        assertThat(r.errLines()).singleElement().asString().startsWith("retrying 'add x 1' on the replica at ");
        assertThat(one.received()).extracting(Command::seq).containsExactly(1L, 1L, 2L);
        assertSameTag(one.received().subList(0, 2));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
