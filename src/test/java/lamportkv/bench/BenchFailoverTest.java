package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.RemoteException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import lamportkv.client.Client;
import lamportkv.client.FakeReplica;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bench clients against stand-in replicas that stop, restart or cannot take an operation: the
 * same command (same client id and sequence number) goes to the next replica with a stub looked up
 * afresh, and only an operation that finally fails is an error.
 */
class BenchFailoverTest {
    @TempDir
    Path dir;

    private record Run(int status, Map<String, String> json, String err) {
    }

    private Run bench(List<FakeReplica> replicas, String... args) throws Exception {
        Path config = dir.resolve("replicas.properties");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < replicas.size(); i++) {
            lines.append("replica.").append(i + 1).append('=').append(replicas.get(i).hostPort()).append('\n');
        }
        Files.writeString(config, lines);
        List<String> all = new ArrayList<>(List.of("--clients", "1", "--warmup", "0", "--mix", "set:100", "--json"));
        all.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Bench.run(config, all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        String stdout = out.toString(StandardCharsets.UTF_8).strip();
        return new Run(status, stdout.isEmpty() ? Map.of() : JsonLine.parse(stdout), err.toString(StandardCharsets.UTF_8));
    }

    /** Answers OK, except once, 300 ms after the first command (well into the measurement), as {@code how} says. */
    private static void answerOnceLater(FakeReplica replica, String how, AtomicReference<Command> odd) {
        AtomicLong firstAt = new AtomicLong();
        AtomicBoolean fired = new AtomicBoolean();
        replica.answer(c -> {
            long now = System.nanoTime();
            firstAt.compareAndSet(0, now);
            if (now - firstAt.get() < 300_000_000L || !fired.compareAndSet(false, true)) {
                return new Reply(Reply.Status.OK, "OK");
            }
            odd.set(c);
            if (how.equals("lost contact")) {
                replica.cutConnection();
                return new Reply(Reply.Status.OK, "OK");
            }
            return new Reply(Reply.Status.valueOf(how), "replica 1: " + how + " (a text no client matches)");
        });
    }

    @Test
    void aReplicaThatDoesNotAnswerHoldsABenchClientAtMostTheShellsAttemptLimit() {
        // RMI's read timeout, JVM-wide and read once, so checked as the value the bench sets.
        assertThat(Bench.responseTimeoutMillis(10_000, Client.attemptLimitMillis(2_000))).isEqualTo(3_000);
        assertThat(Bench.responseTimeoutMillis(1_000, 601_000)).as("a short --timeout: the replica answers first")
                .isEqualTo(6_000);
        assertThat(Bench.responseTimeoutMillis(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2)).isEqualTo(Integer.MAX_VALUE);
    }

    @ParameterizedTest(name = "{0}: retried elsewhere = {1}")
    @CsvSource({
        "UNAVAILABLE,  true",
        "ABANDONED,    true",
        "lost contact, true",
        "NOT_APPLIED,  false",
        "TIMEOUT,      false",
        "REFUSED,      false",
        "FAILED,       false"})
    void anAnswerThatAllowsItIsRetriedOnTheNextReplicaWithTheSameTag(String how, boolean retried) throws Exception {
        try (FakeReplica one = FakeReplica.start(1); FakeReplica two = FakeReplica.start(2)) {
            AtomicReference<Command> odd = new AtomicReference<>();
            answerOnceLater(one, how, odd);
            Run r = bench(List.of(one, two), "--duration", "1", "--timeout", "5");

            assertThat(odd.get()).as("the odd answer was given").isNotNull();
            if (retried) {
                assertThat(r.status()).as(r.err()).isZero();
                assertThat(r.json()).containsEntry("errors", "0").containsEntry("retries", "1");
                Command again = two.received().get(0);
                assertThat(again.clientId()).isEqualTo(odd.get().clientId());
                assertThat(again.seq()).as("the same command, not a new one").isEqualTo(odd.get().seq());
                assertThat(again.wordList()).isEqualTo(odd.get().wordList());
                assertThat(again.timeoutMillis()).as("the time left").isLessThanOrEqualTo(odd.get().timeoutMillis());
            } else {
                assertThat(r.json()).containsEntry("errors", "1").containsEntry("retries", "0");
                assertThat(two.received()).as("a final answer is not sent elsewhere").isEmpty();
                // The library's verdict on the operation, then the replica's words.
                String verdict = switch (how) {
                    case "FAILED" -> "FAILED";
                    case "TIMEOUT" -> "MAY_BE_APPLIED";
                    default -> "NOT_APPLIED";
                };
                assertThat(r.err()).contains("set: " + verdict + ": replica 1: " + how);
            }
        }
    }

    @Test
    void aClientWhoseReplicaRestartedLooksItUpAgainAndKeepsItsSequenceNumber() throws Exception {
        FakeReplica one = FakeReplica.start(1);
        int port = one.port();
        List<FakeReplica> started = new ArrayList<>(List.of(one));
        AtomicReference<Run> run = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread bench = new Thread(() -> {
            try {
                run.set(bench(List.of(one), "--duration", "2", "--timeout", "10"));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        bench.start();
        try {
            awaitReceived(one, 1);
            Thread.sleep(300);   // well into the measurement
            one.close();   // its stub, cached by the bench client, now names an object that is gone
            FakeReplica again = restart(port);
            started.add(again);
            bench.join(30_000);
            assertThat(failure.get()).isNull();
            assertThat(run.get().status()).as(run.get().err()).isZero();
            assertThat(run.get().json()).containsEntry("errors", "0");
            assertThat(Long.parseLong(run.get().json().get("retries"))).isPositive();

            List<Command> before = one.received();
            List<Command> after = again.received();
            assertThat(after).as("the restarted replica was looked up again").isNotEmpty();
            long last = before.get(before.size() - 1).seq();
            assertThat(after.get(0).seq()).as("the failed operation was sent again, not skipped")
                    .isBetween(last, last + 1);
            assertThat(after.get(0).clientId()).isEqualTo(before.get(0).clientId());
        } finally {
            bench.join(30_000);
            started.forEach(FakeReplica::close);
        }
    }

    private static void awaitReceived(FakeReplica replica, int commands) throws InterruptedException {
        for (int i = 0; i < 1_000 && replica.received().size() < commands; i++) {
            Thread.sleep(10);
        }
        assertThat(replica.received()).hasSizeGreaterThanOrEqualTo(commands);
    }

    /** A new fake on the same port, as a restarted replica: the port may take a moment to be free. */
    private static FakeReplica restart(int port) throws Exception {
        AtomicInteger tries = new AtomicInteger();
        while (true) {
            try {
                return FakeReplica.start(1, port);
            } catch (RemoteException e) {
                if (tries.incrementAndGet() > 50) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }
}
