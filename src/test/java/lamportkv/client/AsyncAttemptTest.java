package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Connection#executeAsync}: the first attempt without waiting, and everything after it as
 * {@link Connection#execute} does it, with the same tag, against two fake replicas over real RMI.
 */
@Timeout(60)
class AsyncAttemptTest {
    private static final long ATTEMPT_MILLIS = 400;

    private FakeReplica one;
    private FakeReplica two;
    private final ByteArrayOutputStream notices = new ByteArrayOutputStream();

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

    /** A connection to replica 1 then 2 that already holds replica 1's stub (one operation answered there). */
    private Connection connected() throws Exception {
        Connection c = new Connection(List.of(new Endpoint(1, "127.0.0.1", one.port()), new Endpoint(2, "127.0.0.1", two.port())),
                true, true, Duration.ZERO, ATTEMPT_MILLIS, new PrintStream(notices, true, StandardCharsets.UTF_8));
        one.answer(cmd -> new Reply(Reply.Status.OK, "warm"));
        assertThat(c.execute("get k", left -> command(0, left), 5_000).reply().text()).isEqualTo("warm");
        return c;
    }

    private static Command command(long seq, long left) {
        return Command.of(42, seq, List.of("set", "x", String.valueOf(seq)), left);
    }

    /** The outcome of an operation started without waiting, or its failure. */
    private record Ended(Connection.Outcome outcome, Throwable failure, String thread) {
    }

    private static Ended runAsync(Connection c, long seq) throws Exception {
        CompletableFuture<Ended> ended = new CompletableFuture<>();
        c.executeAsync("set x " + seq, left -> command(seq, left), 5_000,
                (outcome, failure) -> ended.complete(new Ended(outcome, failure, Thread.currentThread().getName())));
        return ended.get(20, TimeUnit.SECONDS);
    }

    private static void assertSameTag(List<Command> attempts) {
        assertThat(attempts).extracting(Command::clientId).containsOnly(42L);
        assertThat(attempts).extracting(Command::seq).containsOnly(attempts.get(0).seq());
    }

    @Test
    void answeredFirstTimeItEndsOnTheThreadThatMadeTheCall() throws Exception {
        Connection c = connected();
        one.answer(cmd -> new Reply(Reply.Status.OK, "OK"));
        Ended e = runAsync(c, 1);
        assertThat(e.failure()).isNull();
        assertThat(e.outcome().reply().text()).isEqualTo("OK");
        assertThat(e.outcome().attempts().count()).isEqualTo(1);
        assertThat(e.thread()).isEqualTo("lamportkv-client-combined-call");
        assertThat(two.received()).isEmpty();
    }

    @Test
    void aFinalAnswerThatIsAFailureIsNotRetried() throws Exception {
        Connection c = connected();
        one.answer(cmd -> new Reply(Reply.Status.FAILED, "not a number: x"));
        Ended e = runAsync(c, 1);
        assertThat(e.outcome().reply().status()).isEqualTo(Reply.Status.FAILED);
        assertThat(e.outcome().attempts().count()).isEqualTo(1);
        assertThat(two.received()).isEmpty();
    }

    @Test
    void anAnswerThatSaysTryElsewhereGoesOnToTheNextReplicaWithTheSameTag() throws Exception {
        Connection c = connected();
        one.answer(cmd -> new Reply(Reply.Status.UNAVAILABLE, "replica 1 is stopping"));
        two.answer(cmd -> new Reply(Reply.Status.OK, "OK"));
        Ended e = runAsync(c, 1);
        assertThat(e.outcome().reply().text()).isEqualTo("OK");
        assertThat(e.outcome().attempts().count()).isEqualTo(2);
        assertThat(notices.toString(StandardCharsets.UTF_8)).contains("retrying 'set x 1' on replica 2", "replica 1 is stopping");
        assertSameTag(List.of(one.received().get(1), two.received().get(0)));
        assertThat(c.position()).as("the connection stays where it was answered").isEqualTo(1);
    }

    @Test
    void lostContactMidCallGoesOnToTheNextReplicaWithTheSameTag() throws Exception {
        Connection c = connected();
        one.answer(cmd -> {
            one.cutConnection();
            return new Reply(Reply.Status.OK, "OK");
        });
        two.answer(cmd -> new Reply(Reply.Status.OK, "OK"));
        Ended e = runAsync(c, 1);
        assertThat(e.outcome().reply().text()).isEqualTo("OK");
        assertThat(e.outcome().attempts().count()).isEqualTo(2);
        assertThat(notices.toString(StandardCharsets.UTF_8)).contains("lost contact with replica 1");
        assertSameTag(List.of(one.received().get(1), two.received().get(0)));
    }

    @Test
    void aReplicaThatDoesNotAnswerIsGivenUpOnAfterTheAttemptLimit() throws Exception {
        assumeThat(Connection.rmiReadTimeoutWithin(ATTEMPT_MILLIS)).as("RMI's read timeout would end the call first").isFalse();
        Connection c = connected();
        one.answer(cmd -> {
            try {
                Thread.sleep(5_000);            // frozen, well past the attempt limit
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Reply(Reply.Status.OK, "too late");
        });
        two.answer(cmd -> new Reply(Reply.Status.OK, "OK"));
        long t0 = System.nanoTime();
        Ended e = runAsync(c, 1);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(e.outcome().reply().text()).isEqualTo("OK");
        assertThat(millis).as("given up on after the attempt limit, not after the frozen replica").isBetween(ATTEMPT_MILLIS, 3_000L);
        assertThat(notices.toString(StandardCharsets.UTF_8)).contains("did not answer within 0.4s");
        assertSameTag(List.of(one.received().get(1), two.received().get(0)));
    }

    @Test
    void withoutAStubTheWholeOperationRunsAsExecuteDoes() throws Exception {
        Connection c = new Connection(List.of(new Endpoint(1, "127.0.0.1", one.port())), true, true, Duration.ZERO,
                ATTEMPT_MILLIS, new PrintStream(notices, true, StandardCharsets.UTF_8));
        one.answer(cmd -> new Reply(Reply.Status.OK, "OK"));
        Ended e = runAsync(c, 1);
        assertThat(e.outcome().reply().text()).isEqualTo("OK");
        assertThat(e.thread()).isEqualTo("lamportkv-client-retry");
    }
}
