package lamportkv.process;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop {@code add counter 1} load from several real clients ({@code run-client.sh} piped,
 * one JVM each; every command tagged with its client's id and sequence number, so a retry after a
 * failover applies once), counting what their users were told: acknowledged adds, and failures
 * with their messages. After the load, with no failure, the counter must equal the acknowledged
 * adds exactly; every acknowledged add's result (the counter's new value) must be distinct.
 */
final class CounterLoad implements AutoCloseable {
    static final String KEY = "counter";
    private static final String COMMAND = "add " + KEY + " 1";

    /** A failed add as its user saw it: which client, its options, the message, when (ms since the load started). */
    record Failure(int worker, List<String> options, String message, long atMillis) {
        /** Whether the client said the add may still be applied (its outcome unknown). */
        boolean unknown() {
            return message.contains("may still be applied") || message.contains("may or may not have been applied");
        }

        @Override
        public String toString() {
            return "client " + worker + " " + options + " at " + atMillis + " ms: " + message;
        }
    }

    /** What the load's users were told, once it stopped. */
    record Summary(long acked, List<Failure> failures, List<String> duplicateResults, int retryNotices, Duration longestGap,
                   Duration slowest, List<Throwable> broken) {
        long unknown() {
            return failures.stream().filter(Failure::unknown).count();
        }

        /**
         * No acknowledged add took {@code bound} or longer: a client whose replica failed moved on
         * (and the view changed) within it, rather than waiting out its budget or the fault.
         */
        void assertNoAddSlowerThan(Duration bound) {
            org.assertj.core.api.Assertions.assertThat(slowest)
                    .as("the slowest acknowledged add (clients fail over after about view.suspect.seconds); %s", this)
                    .isLessThan(bound);
        }

        @Override
        public String toString() {
            return acked + " acknowledged adds, " + failures.size() + " failures (" + unknown() + " unknown outcome), "
                    + retryNotices + " retry notices, longest gap between acknowledgements "
                    + String.format("%.1f s, slowest acknowledged add %.1f s", longestGap.toMillis() / 1000.0,
                            slowest.toMillis() / 1000.0)
                    + (failures.isEmpty() ? "" : "; first failures: " + failures.subList(0, Math.min(5, failures.size())))
                    + (broken.isEmpty() ? "" : "; broken workers: " + broken);
        }
    }

    private final long startNanos = System.nanoTime();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean aborted = new AtomicBoolean();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong lastAckNanos = new AtomicLong(startNanos);
    private final AtomicLong longestGapNanos = new AtomicLong();
    private final AtomicLong slowestNanos = new AtomicLong();
    private final List<Failure> failures = new CopyOnWriteArrayList<>();
    private final Set<String> results = ConcurrentHashMap.newKeySet();
    private final List<String> duplicateResults = new CopyOnWriteArrayList<>();
    private final List<Throwable> broken = new CopyOnWriteArrayList<>();
    private final AtomicLong retryNotices = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private final List<PipedClient> clients = new CopyOnWriteArrayList<>();
    private final long commandTimeoutSeconds;

    /**
     * Starts one client per entry of {@code workerOptions} (e.g. {@code --replica 2}; each gets
     * {@code --timeout timeoutSeconds} too), each adding 1 to {@value #KEY} until {@link #stop}.
     * The key must hold a number already.
     */
    static CounterLoad start(ProcessCluster cluster, List<List<String>> workerOptions, int timeoutSeconds) {
        return new CounterLoad(cluster.scripts(), cluster.configFile(), cluster.dir(), workerOptions, timeoutSeconds);
    }

    /** {@code clients} clients, spread round-robin over {@code replicas} ({@code --replica 1}, {@code 2}, ...). */
    static List<List<String>> spread(int clients, List<Integer> replicas) {
        List<List<String>> options = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            options.add(List.of("--replica", String.valueOf(replicas.get(i % replicas.size()))));
        }
        return options;
    }

    private CounterLoad(Path scripts, Path config, Path dir, List<List<String>> workerOptions, int timeoutSeconds) {
        this.commandTimeoutSeconds = timeoutSeconds;
        for (int w = 0; w < workerOptions.size(); w++) {
            int worker = w + 1;
            List<String> options = new ArrayList<>(workerOptions.get(w));
            options.addAll(List.of("--timeout", String.valueOf(timeoutSeconds)));
            Thread t = new Thread(() -> work(worker, scripts, config, dir, options), "counter-load-" + worker);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    private void work(int worker, Path scripts, Path config, Path dir, List<String> options) {
        try (PipedClient client = new PipedClient(scripts, config, dir, options)) {
            clients.add(client);
            while (!stop.get()) {
                // The client gives up after its --timeout; the margin is its JVM's, not the cluster's.
                long sent = System.nanoTime();
                PipedClient.Outcome outcome = client.run(COMMAND, commandTimeoutSeconds + 30);
                long now = System.nanoTime();
                if (outcome.ok()) {
                    acked.incrementAndGet();
                    slowestNanos.accumulateAndGet(now - sent, Math::max);
                    long gap = now - lastAckNanos.getAndSet(now);
                    longestGapNanos.accumulateAndGet(gap, Math::max);
                    String result = normalized(outcome.text());
                    if (!results.add(result)) {
                        duplicateResults.add("client " + worker + ": " + result);
                    }
                } else {
                    failures.add(new Failure(worker, options, outcome.text(), (now - startNanos) / 1_000_000));
                }
            }
            retryNotices.addAndGet(client.notes().stream().filter(n -> n.startsWith("retrying ")).count());
        } catch (Throwable e) {
            if (!aborted.get()) {
                broken.add(e);
            }
        }
    }

    private static String normalized(String number) {
        try {
            return new BigDecimal(number).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException e) {
            return number;
        }
    }

    /** Acknowledged adds so far. */
    long acked() {
        return acked.get();
    }

    /** Failures so far. */
    List<Failure> failures() {
        return List.copyOf(failures);
    }

    /** Waits until {@code more} adds beyond those acknowledged now are acknowledged; fails after {@code within}. */
    Duration awaitProgress(int more, Duration within, String after) throws Exception {
        long target = acked() + more;
        return ProcessCluster.await(() -> acked() >= target || !broken.isEmpty(), within,
                more + " more acknowledged adds " + after, () -> "acknowledged " + acked() + " of " + target
                        + "; failures: " + failures.size()
                        + (failures.isEmpty() ? "" : ", the latest: " + failures.get(failures.size() - 1))
                        + (broken.isEmpty() ? "" : "; broken workers: " + broken));
    }

    /** Stops the clients after their current command and waits for them; what they were told. */
    Summary stop() throws InterruptedException {
        stop.set(true);
        // An unknown number of commands may still be running; each ends within its --timeout.
        long deadline = System.nanoTime() + Duration.ofSeconds(commandTimeoutSeconds + 60).toNanos();
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                broken.add(new AssertionError(t.getName() + " did not stop within " + (commandTimeoutSeconds + 60) + "s"));
            }
        }
        return new Summary(acked.get(), List.copyOf(failures), List.copyOf(duplicateResults), (int) retryNotices.get(),
                Duration.ofNanos(longestGapNanos.get()), Duration.ofNanos(slowestNanos.get()), List.copyOf(broken));
    }

    /** Sets {@value #KEY} to 0 through the cluster (before {@link #start}). */
    static void prepare(ProcessCluster cluster) throws Exception {
        ProcessCluster.ClientRun set = cluster.client(List.of("set", KEY, "0"));
        org.assertj.core.api.Assertions.assertThat(set.out()).as("set %s 0: %s", KEY, set).isEqualTo("OK\n");
    }

    /**
     * Stops the load and checks it ({@link #assertExact}) against the counter as replica
     * {@code readOn} alone reads it; then waits until every replica of {@code converged} has the
     * same state. Returns what the users were told.
     */
    Summary finish(ProcessCluster cluster, int readOn, List<Integer> converged) throws Exception {
        Summary summary = stop();
        cluster.note("load stopped: " + summary);
        ProcessCluster.ClientRun read = cluster.on(readOn, 20, "get", KEY);
        org.assertj.core.api.Assertions.assertThat(read.exitCode()).as("reading %s on replica %d: %s", KEY, readOn, read)
                .isZero();
        assertExact(summary, new BigDecimal(read.out().strip()));
        cluster.note("states: " + cluster.awaitEqualHashes(converged, Duration.ofSeconds(30)) + " on " + converged);
        return summary;
    }

    /**
     * Checks what the users were told against the final value of the counter: no client broke, no
     * add failed (so none has an unknown outcome), no two acknowledged adds returned the same value,
     * and the counter is exactly the number of acknowledged adds.
     */
    static void assertExact(Summary summary, BigDecimal counter) {
        org.assertj.core.api.Assertions.assertThat(summary.broken()).as("broken clients; %s", summary).isEmpty();
        org.assertj.core.api.Assertions.assertThat(summary.failures()).as("failed adds; %s", summary).isEmpty();
        org.assertj.core.api.Assertions.assertThat(summary.duplicateResults())
                .as("acknowledged adds that returned a value another had returned; %s", summary).isEmpty();
        org.assertj.core.api.Assertions.assertThat(counter)
                .as("the counter vs the acknowledged adds; %s", summary)
                .isEqualByComparingTo(BigDecimal.valueOf(summary.acked()));
    }

    /** Without {@link #stop} first (a test that failed): ends the clients at once. */
    @Override
    public void close() throws InterruptedException {
        if (!stop.getAndSet(true)) {
            aborted.set(true);
            clients.forEach(PipedClient::kill);
            threads.forEach(Thread::interrupt);     // each waits for its command's outcome, which will not come
            for (Thread t : threads) {
                t.join(10_000);
            }
        }
    }
}
