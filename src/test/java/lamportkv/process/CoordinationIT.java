package lamportkv.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coordination (fenced locks with leases, revisions and watches) as users get it: three replicas
 * as real JVMs started by {@code run-replica.sh}, and every client a real {@code run-client.sh}
 * process, piped (one command per line) or run with one command, as a script would. Replicas and
 * clients are killed with SIGKILL, as in a crash.
 *
 * <p>The scripts run this build's jar ({@link ProcessCluster#scriptsBesideThisBuild}), so the test
 * works with any {@code -Dbuild.dir}. Alone:
 * {@code mvn -B verify -Dit.test=CoordinationIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class CoordinationIT {
    /** Concurrent client processes competing for the lock in {@link #locksExcludeAndAKilledHolderLosesItsLease}. */
    private static final int LOCKERS = 6;
    /** Critical sections each of them runs. */
    private static final int ROUNDS = 50;
    /** The lease of each critical section's lock, in seconds: far above a read and a write. */
    private static final int LOCK_TTL_SECONDS = 5;
    /** The lease of the lock whose holder is killed, in seconds. */
    private static final int KILLED_TTL_SECONDS = 3;
    /** How long after the holder's death the waiter must hold the lock: its TTL plus slack for two cores. */
    private static final Duration GRANT_AFTER_DEATH_WITHIN = Duration.ofSeconds(15);
    /** Each client operation's budget, failovers included: far above a view change, so any error is a real one. */
    private static final int CLIENT_TIMEOUT_SECONDS = 30;

    /** Writers of {@link #watchDeliversEveryChangeOnceAcrossAKilledReplica}, each with keys of its own. */
    private static final Map<Integer, List<String>> WRITER_KEYS = Map.of(1, List.of("k1", "k3", "k5"), 2, List.of("k2", "k4"));
    /** Operations on k* keys per writer: 100 in all. */
    private static final int KEY_OPS = 50;
    /** The pause between a writer's operations on k* keys, so that the writes span the kill and the restart. */
    private static final long WRITE_PAUSE_MILLIS = 200;

    @TempDir
    Path dir;

    /** One critical section as its client saw it: the token it was granted and the value of {@code n} it read. */
    record Round(int client, int round, long token, long read) {
    }

    /**
     * Proves, with real client processes, that {@code lock} gives mutual exclusion and fencing
     * tokens that grow with every grant, and that a lock whose holder dies is freed by its lease
     * alone.
     *
     * <p>Part 1: {@value #LOCKERS} long-lived {@code run-client.sh} processes (spread over the three
     * replicas) each run {@value #ROUNDS} times {@code lock L 5}, {@code get n}, {@code set n v+1},
     * {@code unlock L TOKEN}: a read-modify-write that is atomic only if the lock excludes. Proves:
     * <ul>
     *   <li>no update was lost: {@code n} ends at exactly 300, and the values read are exactly
     *       0..299, each once (two overlapping critical sections would read the same value);</li>
     *   <li>every unlock found its token still holding the lock (no lease lapsed mid-section);</li>
     *   <li>tokens are fencing tokens: 300 distinct, strictly increasing within each client, and
     *       strictly increasing in the order the critical sections ran (the order of the values read);</li>
     *   <li>the lock was contended (clients said they waited), so the above says something.</li>
     * </ul>
     *
     * <p>Part 2: a client takes {@code lock K 3} and renews it past its TTL while a second client's
     * {@code lock K 10} waits (it must not be granted while a live holder renews); then the holder's
     * JVM gets SIGKILL. Proves that the waiter is granted within the TTL plus slack
     * ({@link #GRANT_AFTER_DEATH_WITHIN}) after the death, not before the renewed lease could have
     * ended, with a token larger than the dead holder's, and that the dead holder's token no longer
     * holds the lock.
     */
    @Test
    @Timeout(180)
    @DisplayName("locks: 6 client processes x 50 read-modify-writes under one lock lose no update; a kill -9'd holder loses the lock after its TTL")
    void locksExcludeAndAKilledHolderLosesItsLease() throws Exception {
        try (ProcessCluster cluster = started(3)) {
            ProcessCluster.ClientRun init = cluster.client(List.of("set", "n", "0"));
            assertThat(init.out()).as("set n 0: %s", init).isEqualTo("OK\n");

            // ---- part 1: mutual exclusion ------------------------------------------------------
            ExecutorService pool = Executors.newFixedThreadPool(LOCKERS, daemon("locker"));
            List<Round> rounds = new ArrayList<>();
            Map<Integer, List<Round>> byClient = new TreeMap<>();
            AtomicInteger waits = new AtomicInteger();
            long started;
            try {
                CyclicBarrier go = new CyclicBarrier(LOCKERS);
                List<Future<List<Round>>> lockers = new ArrayList<>();
                for (int c = 1; c <= LOCKERS; c++) {
                    int client = c;
                    lockers.add(pool.submit(() -> lockLoop(cluster, client, go, waits)));
                }
                started = System.nanoTime();
                for (int c = 1; c <= LOCKERS; c++) {
                    List<Round> mine = lockers.get(c - 1).get(150, TimeUnit.SECONDS);
                    byClient.put(c, mine);
                    rounds.addAll(mine);
                }
            } finally {
                pool.shutdownNow();
            }
            cluster.note(String.format("%d critical sections in %.1f s; %d lock requests had to wait", rounds.size(),
                    (System.nanoTime() - started) / 1e9, waits.get()));

            assertThat(rounds).as("critical sections run").hasSize(LOCKERS * ROUNDS);
            ProcessCluster.ClientRun n = cluster.client(List.of("get", "n"));
            assertThat(n.exitCode()).as("get n: %s", n).isZero();
            assertThat(new BigDecimal(n.out().strip())).as("n after %d locked increments (a lost update: the lock did not exclude)",
                    LOCKERS * ROUNDS).isEqualByComparingTo(BigDecimal.valueOf((long) LOCKERS * ROUNDS));
            List<Round> inOrder = rounds.stream().sorted(Comparator.comparingLong(Round::read)).toList();
            assertThat(inOrder.stream().map(Round::read).toList())
                    .as("the values of n read inside the lock, sorted: each of 0..%d once (a repeat: two holders at once)",
                            LOCKERS * ROUNDS - 1)
                    .containsExactlyElementsOf(IntStream.range(0, LOCKERS * ROUNDS).mapToObj(i -> (long) i).toList());
            assertThat(rounds.stream().map(Round::token).collect(Collectors.toSet()))
                    .as("distinct fencing tokens among the %d grants", rounds.size()).hasSize(LOCKERS * ROUNDS);
            byClient.forEach((client, mine) -> assertThat(mine.stream().map(Round::token).toList())
                    .as("client %d's tokens, in its own order", client).isSorted().doesNotHaveDuplicates());
            List<Long> tokensInGrantOrder = inOrder.stream().map(Round::token).toList();
            assertThat(tokensInGrantOrder)
                    .as("tokens in the order the critical sections ran (by the value each read): fencing needs them to grow")
                    .isSorted().doesNotHaveDuplicates();
            assertThat(waits.get()).as("lock requests that had to wait: with none, nothing was contended").isPositive();

            // ---- part 2: a holder killed with SIGKILL ------------------------------------------
            ExecutorService waiting = Executors.newSingleThreadExecutor(daemon("waiter"));
            try (PipedClient holder = piped(cluster, List.of("--timeout", String.valueOf(CLIENT_TIMEOUT_SECONDS)));
                 PipedClient waiter = piped(cluster, List.of("--replica", "2", "--timeout", String.valueOf(CLIENT_TIMEOUT_SECONDS)))) {
                // Both JVMs up and connected before the clock starts.
                ok(holder.run("rev", 60), "holder: rev");
                ok(waiter.run("rev", 60), "waiter: rev");

                long held = Long.parseLong(ok(holder.run("lock K " + KILLED_TTL_SECONDS, 60), "holder: lock K"));
                cluster.note("holder has lock K, token " + held);
                Future<PipedClient.Outcome> asked = waiting.submit(() -> waiter.run("lock K 10", 120));
                long lastRenewSent = System.nanoTime();
                long renewing = System.nanoTime();
                // Renew for longer than the TTL: a live holder that renews keeps the lock.
                while (System.nanoTime() - renewing < Duration.ofSeconds(KILLED_TTL_SECONDS + 1).toNanos()) {
                    Thread.sleep(1_000);
                    lastRenewSent = System.nanoTime();
                    assertThat(ok(holder.run("renew K " + held, 60), "holder: renew K"))
                            .as("the holder's renewal of lock K").isEqualTo("1");
                }
                assertThat(asked.isDone()).as("the waiter was granted lock K while its holder kept renewing it: %s",
                        asked.isDone() ? asked.get() : "").isFalse();
                ProcessCluster.await(() -> waiter.notes().contains("waiting for lock K (Ctrl-C leaves the queue)"),
                        Duration.ofSeconds(10), "the waiter to say it waits", () -> "its stderr: " + waiter.notes());

                int status = holder.killAndWait(10);
                long killed = System.nanoTime();
                cluster.note("SIGKILL to the holder's JVM: exit status " + status);
                assertThat(status).as("the holder's exit status (128 + SIGKILL)").isEqualTo(137);

                PipedClient.Outcome grant;
                try {
                    grant = asked.get(GRANT_AFTER_DEATH_WITHIN.toSeconds() + 5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("the waiter was not granted lock K within "
                            + (GRANT_AFTER_DEATH_WITHIN.toSeconds() + 5) + " s of its holder's death; its stderr: "
                            + waiter.notes() + "; lock holders per replica 1: " + cluster.status(1));
                }
                long granted = System.nanoTime();
                long token = Long.parseLong(ok(grant, "waiter: lock K 10"));
                Duration afterDeath = Duration.ofNanos(granted - killed);
                Duration afterLastRenew = Duration.ofNanos(granted - lastRenewSent);
                cluster.note(String.format("waiter granted lock K, token %d, %.1f s after the kill, %.1f s after the last renewal",
                        token, afterDeath.toMillis() / 1e3, afterLastRenew.toMillis() / 1e3));
                assertThat(token).as("the waiter's token vs the dead holder's").isGreaterThan(held);
                assertThat(afterDeath).as("from the holder's SIGKILL to the waiter's grant (TTL %d s)", KILLED_TTL_SECONDS)
                        .isLessThan(GRANT_AFTER_DEATH_WITHIN);
                // The lease ends TTL after the last renewal was applied, which came after it was sent.
                assertThat(afterLastRenew).as("from the holder's last renewal to the waiter's grant: sooner than the"
                        + " TTL (%d s, less a second of slack) takes the lock from a live holder", KILLED_TTL_SECONDS)
                        .isGreaterThanOrEqualTo(Duration.ofSeconds(KILLED_TTL_SECONDS - 1));
                assertThat(ok(waiter.run("renew K " + held, 60), "renew K with the dead holder's token"))
                        .as("renew K with the dead holder's token").isEqualTo("0");
                assertThat(ok(waiter.run("unlock K " + token, 60), "waiter: unlock K")).as("the waiter's unlock").isEqualTo("1");
            } finally {
                waiting.shutdownNow();
            }
        }
    }

    /** One client process's {@value #ROUNDS} locked read-modify-writes of {@code n}. */
    private List<Round> lockLoop(ProcessCluster cluster, int client, CyclicBarrier go, AtomicInteger waits) throws Exception {
        int replica = cluster.ids().get((client - 1) % cluster.ids().size());
        List<Round> rounds = new ArrayList<>();
        try (PipedClient c = piped(cluster, List.of("--replica", String.valueOf(replica),
                "--timeout", String.valueOf(CLIENT_TIMEOUT_SECONDS)))) {
            ok(c.run("rev", 90), "client " + client + ": rev");       // its JVM is up: all start together
            go.await(120, TimeUnit.SECONDS);
            for (int r = 0; r < ROUNDS; r++) {
                String where = "client " + client + " round " + r + ": ";
                long token = Long.parseLong(ok(c.run("lock L " + LOCK_TTL_SECONDS, 120), where + "lock L"));
                long read = new BigDecimal(ok(c.run("get n", 60), where + "get n")).longValueExact();
                assertThat(ok(c.run("set n " + (read + 1), 60), where + "set n")).as(where + "set n").isEqualTo("OK");
                assertThat(ok(c.run("unlock L " + token, 60), where + "unlock L"))
                        .as(where + "unlock L %d (0: the token no longer held the lock: its lease ended mid-section)", token)
                        .isEqualTo("1");
                rounds.add(new Round(client, r, token, read));
            }
            waits.addAndGet((int) c.notes().stream().filter(note -> note.startsWith("waiting for lock L")).count());
        }
        return rounds;
    }

    // ---- watches --------------------------------------------------------------------------------

    /** One step of a writer's plan on its own k* keys: a set (value) or a del (value null). */
    record Step(String key, String value, boolean changes) {
        String command() {
            return value == null ? "del " + key : "set " + key + " " + value;
        }
    }

    /** A writer's change to a k* key as it learned it: its revision ({@code rev KEY} right after), the key, the value. */
    record Written(long revision, String key, String value) {
        /** As {@code watch} prints it. */
        String line() {
            return revision + " " + key + " " + (value == null ? "(deleted)" : value);
        }
    }

    /**
     * Proves, with real processes, that {@code watch} delivers every change to its pattern exactly
     * once, in revision order, with no gap and nothing else, from {@code --from} on, while the
     * replica it reads from is killed (SIGKILL) and restarted.
     *
     * <p>Before the writers start, k1 and k2 are written (they must not be delivered: they precede
     * {@code --from}) and {@code rev} is read: REV. The watcher is one process,
     * {@code run-client.sh watch k* --from REV+1 --count N}; without {@code --replica} it reads
     * from the first replica of the configuration, replica 1. Two writer processes (also on
     * replica 1 first) each make {@value #KEY_OPS} sets and dels on keys of their own (k1 k3 k5;
     * k2 k4), each followed by {@code rev KEY}, which gives the exact revision of the change (only
     * that writer writes the key); some dels hit absent keys (no change: {@code rev KEY} does not
     * move, and nothing may be delivered). They also write keys that do not match {@code k*}
     * ({@code xk1}, {@code K1}, {@code o1-10}). N is known before the start: the number of changes
     * in the writers' plans. After the watcher delivered some changes, replica 1 is killed; after
     * more writes it is restarted and rejoins while the writers go on.
     *
     * <p>Asserted: the watcher exits by itself with exactly N lines, their revisions strictly
     * increase, and they are exactly the writers' changes ({@code REV KEY VALUE} or
     * {@code REV KEY (deleted)}) sorted by revision (so no gap, no duplicate, no other key, and
     * each writer's order kept); some were delivered before the kill and some after; the last
     * line's revision is the largest {@code rev k1}..{@code rev k5}; each key's last delivered
     * state is what {@code get} returns at the end.
     */
    @Test
    @Timeout(180)
    @DisplayName("watch: every change to k* once, in order, no gap, across a kill -9 and restart of the replica it reads from")
    void watchDeliversEveryChangeOnceAcrossAKilledReplica() throws Exception {
        try (ProcessCluster cluster = started(3)) {
            // Before the watch's start: k1 and k2 exist already, and must not be delivered.
            ProcessCluster.ClientRun before = cluster.client(List.of(), "set k1 old1\nset k2 old2\nset other 1\n");
            assertThat(before.out()).as("writes before the watch: %s", before).isEqualTo("OK\nOK\nOK\n");
            Set<String> existing = new HashSet<>(Set.of("k1", "k2"));
            Map<Integer, List<Step>> plans = new TreeMap<>();
            for (Map.Entry<Integer, List<String>> w : new TreeMap<>(WRITER_KEYS).entrySet()) {
                plans.put(w.getKey(), plan(w.getKey(), w.getValue(), existing));
            }
            List<Step> allSteps = plans.values().stream().flatMap(List::stream).toList();
            long changes = allSteps.stream().filter(Step::changes).count();
            // The plan itself: dels that change something and dels that do not, both present.
            assertThat(allSteps.stream().filter(s -> s.value() == null && s.changes()).count()).as("dels of present keys").isPositive();
            assertThat(allSteps.stream().filter(s -> s.value() == null && !s.changes()).count()).as("dels of absent keys").isPositive();

            ProcessCluster.ClientRun rev = cluster.client(List.of("rev"));
            assertThat(rev.exitCode()).as("rev: %s", rev).isZero();
            long from = Long.parseLong(rev.out().strip()) + 1;

            Path watchOut = dir.resolve("watch.out");
            Path watchErr = dir.resolve("watch.err");
            Process watcher = new ProcessBuilder("bash", cluster.scripts().resolve("run-client.sh").toString(),
                    "--config", cluster.configFile().toString(), "watch", "k*", "--from", String.valueOf(from),
                    "--count", String.valueOf(changes))
                    .directory(dir.toFile()).redirectOutput(watchOut.toFile()).redirectError(watchErr.toFile()).start();
            try {
                cluster.note("watcher: watch k* --from " + from + " --count " + changes);
                watchAcrossAKill(cluster, watcher, watchOut, watchErr, plans, from, changes);
            } finally {
                watcher.destroyForcibly();
            }
        }
    }

    private void watchAcrossAKill(ProcessCluster cluster, Process watcher, Path watchOut, Path watchErr,
                                  Map<Integer, List<Step>> plans, long from, long changes) throws Exception {
        {
            List<Step> allSteps = plans.values().stream().flatMap(List::stream).toList();

            ExecutorService pool = Executors.newFixedThreadPool(plans.size(), daemon("writer"));
            AtomicInteger progress = new AtomicInteger();
            Map<Integer, Future<List<Written>>> writers = new TreeMap<>();
            List<Written> written = new ArrayList<>();
            int linesAtKill;
            int progressAtKill;
            int progressAtRestart;
            try {
                CyclicBarrier go = new CyclicBarrier(plans.size());
                plans.forEach((w, plan) -> writers.put(w, pool.submit(() -> write(cluster, w, plan, from, go, progress))));

                ProcessCluster.await(() -> lines(watchOut).size() >= 10 && progress.get() >= 20, Duration.ofSeconds(60),
                        "the watcher to deliver 10 changes", () -> "writer steps " + progress.get() + ", delivered "
                                + lines(watchOut).size() + ", watcher's stderr: " + text(watchErr)
                                + (watcher.isAlive() ? "" : ", exit status " + watcher.exitValue()));
                cluster.kill(1);
                linesAtKill = lines(watchOut).size();
                progressAtKill = progress.get();
                cluster.note("killed replica 1 (the watcher's): " + linesAtKill + " changes delivered, " + progressAtKill
                        + " writer steps done");

                ProcessCluster.await(() -> progress.get() >= progressAtKill + 10, ViewStatus.VIEW_CHANGE_WITHIN,
                        "10 more writer steps after replica 1 was killed", () -> "writer steps " + progress.get());
                cluster.start(1);
                progressAtRestart = progress.get();
                cluster.note("restarted replica 1: " + lines(watchOut).size() + " changes delivered, " + progressAtRestart
                        + " writer steps done");

                for (Map.Entry<Integer, Future<List<Written>>> w : writers.entrySet()) {
                    written.addAll(w.getValue().get(120, TimeUnit.SECONDS));
                }
                cluster.note("writers done: " + progress.get() + " steps, " + written.size() + " changes to k*");
            } finally {
                pool.shutdownNow();
            }
            ViewStatus.View view = ViewStatus.awaitMembers(cluster, List.of(1, 2, 3), Set.of(1, 2, 3),
                    ViewStatus.REJOIN_WITHIN, "replica 1 was restarted");
            cluster.note("view " + view + " on every replica");

            boolean exited = watcher.waitFor(30, TimeUnit.SECONDS);
            if (!exited) {
                watcher.destroyForcibly();
                watcher.waitFor(10, TimeUnit.SECONDS);
            }
            List<String> delivered = lines(watchOut);
            cluster.note("watcher " + (exited ? "exited " + watcher.exitValue() : "killed: it had not exited") + " with "
                    + delivered.size() + " lines");

            List<String> expected = written.stream().sorted(Comparator.comparingLong(Written::revision)).map(Written::line).toList();
            assertThat(written).as("the writers' changes to k* vs their plans").hasSize((int) changes);
            assertThat(written.stream().map(Written::revision).distinct().count()).as("distinct revisions of the writers' changes")
                    .isEqualTo(changes);
            assertThat(exited).as("the watcher ended by itself after --count %d; it delivered %d: %s; stderr: %s",
                    changes, delivered.size(), missing(expected, delivered), text(watchErr)).isTrue();
            assertThat(watcher.exitValue()).as("the watcher's exit status; stderr: %s", text(watchErr)).isZero();
            assertThat(delivered).as("lines the watcher printed (--count %d)", changes).hasSize((int) changes);
            List<Long> revisions = new ArrayList<>();
            for (String line : delivered) {
                assertThat(line).as("a watch line").matches("[0-9]+ k[1-5] \\S+");
                revisions.add(Long.parseLong(line.substring(0, line.indexOf(' '))));
            }
            assertThat(revisions).as("revisions delivered: strictly increasing").isSorted().doesNotHaveDuplicates();
            assertThat(revisions.get(0)).as("the first revision delivered vs --from").isGreaterThanOrEqualTo(from);
            assertThat(delivered).as("what the watcher delivered vs the writers' changes to k*, by revision")
                    .containsExactlyElementsOf(expected);
            assertThat(linesAtKill).as("changes delivered before replica 1 was killed").isBetween(1, (int) changes - 1);
            assertThat(progressAtRestart).as("writer steps done when replica 1 was restarted (some must follow)")
                    .isLessThan(allSteps.size());

            // The end state, read through one client: the last line is the last change; each key as last delivered.
            Map<String, String> lastDelivered = new LinkedHashMap<>();
            for (String line : delivered) {
                String[] parts = line.split(" ", 3);
                lastDelivered.put(parts[1], parts[2].equals("(deleted)") ? "(nil)" : parts[2]);
            }
            long lastRevision = 0;
            try (PipedClient reader = piped(cluster, List.of("--timeout", String.valueOf(CLIENT_TIMEOUT_SECONDS)))) {
                for (int k = 1; k <= 5; k++) {
                    String key = "k" + k;
                    lastRevision = Math.max(lastRevision, Long.parseLong(ok(reader.run("rev " + key, 60), "rev " + key)));
                    assertThat(ok(reader.run("get " + key, 60), "get " + key)).as("%s at the end vs its last delivered change", key)
                            .isEqualTo(lastDelivered.get(key));
                }
            }
            assertThat(revisions.get(revisions.size() - 1)).as("the last delivered revision vs the largest rev k1..k5")
                    .isEqualTo(lastRevision);
        }
    }

    /**
     * Writer {@code writer}'s {@value #KEY_OPS} steps on {@code keys}: pairs of steps on one key, set
     * then del, del then set, set then del, over and over; values name the writer and the step.
     * {@code existing} (which keys exist) is updated as the steps would; a del of an absent key changes nothing.
     */
    private static List<Step> plan(int writer, List<String> keys, Set<String> existing) {
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < KEY_OPS; i++) {
            String key = keys.get((i / 2) % keys.size());
            boolean del = switch (i % 6) {
                case 1, 2, 5 -> true;
                default -> false;
            };
            if (del) {
                steps.add(new Step(key, null, existing.remove(key)));
            } else {
                existing.add(key);
                steps.add(new Step(key, "w" + writer + "-" + i, true));
            }
        }
        return steps;
    }

    /**
     * Runs {@code plan} in one client process, each step followed by {@code rev KEY}; every fifth
     * step also writes a key outside {@code k*}. Returns the changes with their revisions.
     */
    private List<Written> write(ProcessCluster cluster, int writer, List<Step> plan, long from, CyclicBarrier go,
                                AtomicInteger progress) throws Exception {
        List<Written> written = new ArrayList<>();
        List<String> decoys = List.of("xk" + writer, "K" + writer, "o" + writer + "-");
        try (PipedClient c = piped(cluster, List.of("--timeout", String.valueOf(CLIENT_TIMEOUT_SECONDS)))) {
            Map<String, Long> lastRev = new HashMap<>();
            for (String key : new TreeSet<>(plan.stream().map(Step::key).toList())) {
                lastRev.put(key, Long.parseLong(ok(c.run("rev " + key, 90), "writer " + writer + ": rev " + key)));
            }
            go.await(120, TimeUnit.SECONDS);
            long previous = from - 1;
            for (int i = 0; i < plan.size(); i++) {
                Step step = plan.get(i);
                String where = "writer " + writer + " step " + i + " (" + step.command() + "): ";
                String result = ok(c.run(step.command(), 60), where);
                if (step.value() == null) {
                    assertThat(result).as(where + "del's result (1: it existed)").isEqualTo(step.changes() ? "1" : "0");
                } else {
                    assertThat(result).as(where + "set's result").isEqualTo("OK");
                }
                long revision = Long.parseLong(ok(c.run("rev " + step.key(), 60), where + "rev " + step.key()));
                if (step.changes()) {
                    assertThat(revision).as(where + "the revision of the change vs this writer's previous one").isGreaterThan(previous);
                    written.add(new Written(revision, step.key(), step.value()));
                    previous = revision;
                    lastRev.put(step.key(), revision);
                } else {
                    assertThat(revision).as(where + "rev %s after a del of an absent key (no change)", step.key())
                            .isEqualTo(lastRev.get(step.key()));
                }
                if (i % 5 == 0) {
                    String decoy = decoys.get((i / 5) % decoys.size());
                    String key = decoy.endsWith("-") ? decoy + i : decoy;
                    assertThat(ok(c.run("set " + key + " d" + i, 60), where + "set " + key)).isEqualTo("OK");
                }
                progress.incrementAndGet();
                Thread.sleep(WRITE_PAUSE_MILLIS);
            }
        }
        return written;
    }

    /** What of {@code expected} is not in {@code delivered}, and what of {@code delivered} was not expected. */
    private static String missing(List<String> expected, List<String> delivered) {
        List<String> notDelivered = new ArrayList<>(expected);
        notDelivered.removeAll(delivered);
        List<String> unexpected = new ArrayList<>(delivered);
        unexpected.removeAll(expected);
        return "not delivered " + notDelivered + ", unexpected " + unexpected;
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** Three (or {@code replicas}) replicas on free loopback ports, running this build's jar, every one answering. */
    private ProcessCluster started(int replicas) throws Exception {
        StringBuilder config = new StringBuilder("data.dir=data\n");
        for (int id = 1; id <= replicas; id++) {
            config.append("replica.").append(id).append("=127.0.0.1:").append(ProcessCluster.freePort()).append('\n');
        }
        Path file = dir.resolve("replicas.properties");
        Files.writeString(file, config);
        ProcessCluster cluster = ProcessCluster.of(dir, file, replicas, ProcessCluster.scriptsBesideThisBuild(dir), id -> List.of());
        try {
            cluster.startAll();
            cluster.note(replicas + " replicas answer");
            return cluster;
        } catch (Throwable e) {
            cluster.close();
            throw e;
        }
    }

    private static PipedClient piped(ProcessCluster cluster, List<String> options) throws Exception {
        return new PipedClient(cluster.scripts(), cluster.configFile(), cluster.dir(), options);
    }

    /** The result of a command that must succeed. */
    private static String ok(PipedClient.Outcome outcome, String what) {
        if (!outcome.ok()) {
            throw new AssertionError(what + " failed: " + outcome.text());
        }
        return outcome.text();
    }

    /** The complete lines of a file a process writes (a last line without its newline is not complete yet). */
    private static List<String> lines(Path file) {
        String text = text(file);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n", -1));
    }

    private static String text(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (java.io.IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
