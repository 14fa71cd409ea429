package lamportkv.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import lamportkv.check.Entry;
import lamportkv.check.History;
import lamportkv.check.LinearizabilityChecker;
import lamportkv.core.Operation;
import lamportkv.core.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas as real JVMs under concurrent clients (the real client, piped), while replicas
 * are SIGKILLed and restarted, SIGSTOPped and resumed, and all killed at once. Afterwards every
 * replica has the same state, the history of acknowledged operations is linearizable, and every
 * acknowledged {@code add} is in the counter exactly once.
 */
class CrashRecoveryIT {
    private static final int WORKERS = 4;
    private static final long OP_TIMEOUT_SECONDS = 90;

    @TempDir
    Path dir;

    @Test
    @Timeout(600)
    void killPauseAndTotalCrashLoseNothing() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.create(3, dir)) {
            Files.writeString(cluster.configFile(), "snapshot.every=300\n", java.nio.file.StandardOpenOption.APPEND);
            cluster.startAll();
            History history = new History(System::nanoTime);
            for (List<String> setup : List.of(List.of("set", "counter", "0"), List.of("set", "a", "1"))) {
                History.Call call = history.invoke(0, Operation.parse(setup));
                assertThat(cluster.client(setup).out()).isEqualTo("OK\n");
                call.complete(Result.ok("OK"));
            }

            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicInteger retryNotices = new java.util.concurrent.atomic.AtomicInteger();
            for (int w = 0; w < WORKERS; w++) {
                int worker = w + 1;
                Thread t = new Thread(() -> {
                    try (PipedClient client = new PipedClient(ProcessCluster.ROOT, cluster.configFile(), dir,
                            List.of("--replica", String.valueOf(1 + worker % 3), "--timeout", String.valueOf(OP_TIMEOUT_SECONDS)))) {
                        Random random = new Random(worker);
                        while (!stop.get()) {
                            List<String> words = randomCommand(random);
                            History.Call call = history.invoke(worker, Operation.parse(words));
                            PipedClient.Outcome outcome = client.run(String.join(" ", words), OP_TIMEOUT_SECONDS + 30);
                            if (outcome.ok()) {
                                call.complete(Result.ok(outcome.text()));
                            } else if (outcome.text().contains("may still be applied")
                                    || outcome.text().contains("may or may not have been applied")) {
                                call.completeUnknown();
                            } else {
                                call.complete(Result.error(outcome.text()));
                            }
                        }
                        retryNotices.addAndGet((int) client.notes().stream().filter(n -> n.startsWith("retrying ")).count());
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "worker-" + w);
                t.start();
                workers.add(t);
            }

            Thread.sleep(3_000);
            cluster.kill(2);                        // (a) a crash, then a restart with the same command
            Thread.sleep(2_000);
            cluster.start(2);
            Thread.sleep(4_000);
            cluster.pause(3);                       // (b) frozen for a few seconds
            Thread.sleep(4_000);
            cluster.resume(3);
            Thread.sleep(4_000);
            for (int id : cluster.ids()) {          // (c) everything dies at once
                cluster.kill(id);
            }
            for (int id : cluster.ids()) {
                cluster.start(id);
            }
            Thread.sleep(5_000);
            stop.set(true);
            for (Thread t : workers) {
                t.join(OP_TIMEOUT_SECONDS * 1000 + 60_000);
            }
            assertThat(failures).isEmpty();

            List<String> hashes = awaitEqualHashes(cluster);
            List<Entry> entries = history.entries();
            assertThat(entries.stream().filter(e -> e.result().isPresent() && e.result().get().ok()).count())
                    .as("acknowledged operations").isGreaterThan(50);
            var verdict = LinearizabilityChecker.check(entries);
            assertThat(verdict.ok()).as(verdict.toString()).isTrue();

            long ackedAdds = 0;
            long unknownAdds = 0;
            Set<String> addResults = new HashSet<>();
            for (Entry e : entries) {
                if (e.op() instanceof Operation.Add add && add.key0().equals("counter")) {
                    if (e.result().isEmpty()) {
                        unknownAdds++;
                    } else if (e.result().get().ok()) {
                        ackedAdds++;
                        assertThat(addResults.add(e.result().get().text())).as("add result %s twice", e.result().get()).isTrue();
                    }
                }
            }
            System.out.printf("%d operations: %d acknowledged adds, %d unknown adds, %d retry notices, hashes %s%n",
                    entries.size(), ackedAdds, unknownAdds, retryNotices.get(), hashes);
            assertThat(retryNotices.get()).as("clients retried on other replicas during the faults").isPositive();
            BigDecimal counter = new BigDecimal(cluster.client(List.of("get", "counter")).out().strip());
            assertThat(counter.longValueExact()).as("final counter vs %d acknowledged adds and %d unknown; hashes %s",
                    ackedAdds, unknownAdds, hashes).isBetween(ackedAdds, ackedAdds + unknownAdds);
        }
    }

    private static List<String> randomCommand(Random random) {
        int r = random.nextInt(10);
        if (r < 5) {
            return List.of("add", "counter", "1");
        } else if (r < 6) {
            return List.of("get", "counter");
        } else if (r < 7) {
            return List.of("set", "a", String.valueOf(random.nextInt(100)));
        } else if (r < 8) {
            return List.of("add", "a", String.valueOf(random.nextInt(5)));
        } else if (r < 9) {
            return List.of("mult", "a", "2");
        }
        return List.of("get", "a");
    }

    /** Waits until every replica reports the same applied count and digest. */
    private static List<String> awaitEqualHashes(ProcessCluster cluster) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            List<String> hashes = new ArrayList<>();
            for (int id : cluster.ids()) {
                hashes.add(cluster.client(List.of("--connect", address(cluster, id), "hash")).out().strip());
            }
            if (new HashSet<>(hashes).size() == 1 && !hashes.get(0).isEmpty()) {
                return hashes;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("replicas did not converge within 60s: " + hashes + "\n"
                        + cluster.tail(1) + "\n" + cluster.tail(2) + "\n" + cluster.tail(3));
            }
            Thread.sleep(500);
        }
    }

    private static String address(ProcessCluster cluster, int id) throws Exception {
        for (String line : Files.readAllLines(cluster.configFile())) {
            if (line.startsWith("replica." + id + "=")) {
                return line.substring(line.indexOf('=') + 1);
            }
        }
        throw new IllegalArgumentException("no replica " + id);
    }
}
