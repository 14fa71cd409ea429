package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The Java client library against three real replicas in this JVM: results, typed failures, threads, watches, locks. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LamportKvTest {
    private LocalCluster cluster;
    private LamportKv kv;

    @BeforeAll
    void startCluster(@TempDir Path dir) {
        cluster = LocalCluster.start(3, dir);
        kv = LamportKv.connect(cluster.configFile());
    }

    @AfterAll
    void stopCluster() {
        kv.close();
        cluster.close();
    }

    @Test
    void theDictionarysOperations() {
        kv.set("lib-n", "5");
        assertThat(kv.get("lib-n")).contains("5");
        assertThat(kv.add("lib-n", new BigDecimal("2.5"))).isEqualByComparingTo("7.5");
        assertThat(kv.mult("lib-n", BigDecimal.valueOf(-2))).isEqualByComparingTo("-15");
        assertThat(kv.delete("lib-n")).isTrue();
        assertThat(kv.delete("lib-n")).isFalse();
        assertThat(kv.get("lib-n")).isEmpty();
        assertThat(kv.execute("set", "lib-t", "hello world")).isEqualTo("OK");
    }

    @Test
    void compareAndSetAndRevisions() {
        assertThat(kv.compareAndSet("lib-leader", null, "worker-7")).isTrue();
        assertThat(kv.compareAndSet("lib-leader", null, "worker-8")).isFalse();
        long changed = kv.revision("lib-leader");
        assertThat(kv.compareAndSet("lib-leader", "worker-7", "worker-8")).isTrue();
        assertThat(kv.revision("lib-leader")).isGreaterThan(changed);
        long now = kv.revision();
        assertThat(kv.revision()).isGreaterThan(now);
        assertThat(kv.revision("lib-never-written")).isZero();
    }

    @Test
    void failuresAreTyped() {
        kv.set("lib-text", "hello");
        assertThatThrownBy(() -> kv.add("lib-text", BigDecimal.ONE))
                .isInstanceOf(OperationFailedException.class).hasMessage("not a number: lib-text");
        assertThatThrownBy(() -> kv.set("bad key", "v"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad key");
        assertThatThrownBy(() -> kv.execute("tick"))
                .as("not a replicated operation").isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unreachableReplicasMeanCertainlyNotApplied(@TempDir Path dir) throws Exception {
        LocalCluster nobody = LocalCluster.create(3, dir);     // configured, never started
        try (LamportKv none = LamportKv.connect(nobody.configFile(), Duration.ofMillis(500))) {
            assertThatThrownBy(() -> none.set("k", "v")).isInstanceOf(NotAppliedException.class)
                    .hasMessageContaining("not applied: no replica was reached");
        }
    }

    @Test
    void anOperationStampedWhenTimeRanOutMayStillBeApplied(@TempDir Path dir) throws Exception {
        // A long suspicion time: the view keeps the stopped replica, so operations wait for its OK.
        try (LocalCluster c = LocalCluster.start(3, dir, "view.suspect.seconds=60");
             LamportKv k = LamportKv.connect(c.configFile(), Duration.ofSeconds(1))) {
            k.set("t", "1");
            c.stop(3);
            assertThatThrownBy(() -> k.set("t", "2")).isInstanceOf(OutcomeUnknownException.class)
                    .hasMessageContaining("timed out after 1s").hasMessageContaining("may still be applied");
            c.start(3);
            try (LamportKv patient = LamportKv.connect(c.configFile(), Duration.ofSeconds(30))) {
                assertThat(patient.get("t")).as("it was stamped, and applied once replica 3 returned").contains("2");
            }
        }
    }

    @Test
    void operationsWithoutWaitingGiveTheSameResultsAndFailures() throws Exception {
        assertThat(kv.executeAsync("set", "async-n", "5").get(30, TimeUnit.SECONDS)).isEqualTo("OK");
        assertThat(kv.executeAsync("add", "async-n", "2").get(30, TimeUnit.SECONDS)).isEqualTo("7");
        assertThat(kv.setAsync("async-t", "hello").get(30, TimeUnit.SECONDS)).isNull();
        assertThat(kv.get("async-t")).contains("hello");
        assertThat(catchThrowable(() -> kv.executeAsync("add", "async-t", "1").get(30, TimeUnit.SECONDS)))
                .isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(OperationFailedException.class).hasMessage("not a number: async-t");
        assertThatThrownBy(() -> kv.executeAsync("set", "bad key", "v")).as("refused before anything is sent")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad key");
    }

    @Test
    void chainsOfOperationsWithoutWaitingEachApplyOnce() throws Exception {
        kv.set("async-counter", "0");
        int chains = 16;
        int each = 25;
        List<BigDecimal> results = new CopyOnWriteArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        CountDownLatch ended = new CountDownLatch(chains);
        class Chain {
            int left = each;

            void next() {
                kv.executeAsync("add", "async-counter", "1").whenComplete((printed, failure) -> {
                    if (failure != null) {
                        failures.add(failure);
                    } else {
                        results.add(new BigDecimal(printed));
                    }
                    if (--left > 0 && failure == null) {
                        next();             // from the callback: goes in the next combined call
                    } else {
                        ended.countDown();
                    }
                });
            }
        }
        for (int i = 0; i < chains; i++) {
            new Chain().next();
        }
        assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(failures).isEmpty();
        assertThat(kv.get("async-counter")).contains(String.valueOf(chains * each));
        assertThat(results.stream().distinct().count()).as("each add saw its own value: none applied twice, none lost")
                .isEqualTo(chains * each);
    }

    @Test
    void anOperationWithoutWaitingToNoReplicaFailsAsCertainlyNotApplied(@TempDir Path dir) throws Exception {
        LocalCluster nobody = LocalCluster.create(3, dir);     // configured, never started
        try (LamportKv none = LamportKv.connect(nobody.configFile(), Duration.ofMillis(500))) {
            assertThat(catchThrowable(() -> none.setAsync("k", "v").get(30, TimeUnit.SECONDS))).cause()
                    .isInstanceOf(NotAppliedException.class).hasMessageContaining("not applied: no replica was reached");
        }
    }

    @Test
    void anOperationWithoutWaitingGoesOnWhenItsReplicaStops(@TempDir Path dir) throws Exception {
        try (LocalCluster c = LocalCluster.start(3, dir); LamportKv k = LamportKv.connect(c.configFile(), Duration.ofSeconds(30))) {
            for (int i = 0; i < 3; i++) {
                k.executeAsync("set", "moving", String.valueOf(i)).get(30, TimeUnit.SECONDS);   // the lane holds replica 1's stub
            }
            c.stop(1);
            assertThat(k.executeAsync("add", "moving", "10").get(60, TimeUnit.SECONDS)).isEqualTo("12");
            assertThat(k.retries()).as("went on to another replica").isPositive();
            assertThat(k.get("moving")).contains("12");
        }
    }

    @Test
    void manyThreadsShareOneClientAndEachOperationAppliesOnce() throws Exception {
        kv.set("lib-counter", "0");
        ExecutorService threads = Executors.newFixedThreadPool(8);
        List<Future<BigDecimal>> adds = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            adds.add(threads.submit(() -> kv.add("lib-counter", BigDecimal.ONE)));
        }
        List<BigDecimal> results = new ArrayList<>();
        for (Future<BigDecimal> f : adds) {
            results.add(f.get(30, TimeUnit.SECONDS));
        }
        threads.shutdown();
        assertThat(kv.get("lib-counter")).contains("200");
        Collections.sort(results);
        assertThat(results).as("each add saw its own value: none applied twice, none lost").hasSize(200)
                .first().isEqualTo(BigDecimal.ONE);
        assertThat(results.stream().distinct().count()).isEqualTo(200);
    }

    @Test
    void threadsShareCallsToAReplicaAndEachOperationStillAppliesOnce() throws Exception {
        kv.set("combined-counter", "0");
        long combinedBefore = CallCombiner.combinedOperations();
        ExecutorService threads = Executors.newFixedThreadPool(24);
        List<Future<BigDecimal>> adds = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            adds.add(threads.submit(() -> kv.add("combined-counter", BigDecimal.ONE)));
        }
        List<BigDecimal> results = new ArrayList<>();
        for (Future<BigDecimal> f : adds) {
            results.add(f.get(60, TimeUnit.SECONDS));
        }
        threads.shutdown();
        assertThat(CallCombiner.combinedOperations() - combinedBefore).as("operations that went in combined calls")
                .isPositive();
        assertThat(kv.get("combined-counter")).contains("600");
        assertThat(results.stream().distinct().count()).as("each add saw its own value").isEqualTo(600);
    }

    @Test
    void stubsOfOneReplicaShareACombinerAndOtherReplicasDoNot() throws Exception {
        var a = cluster.config().replicas().get(0);
        var b = cluster.config().replicas().get(1);
        lamportkv.rmi.ReplicaService one = lamportkv.rmi.Rmi.replicaService(a.host(), a.port());
        lamportkv.rmi.ReplicaService oneAgain = lamportkv.rmi.Rmi.replicaService(a.host(), a.port());
        lamportkv.rmi.ReplicaService two = lamportkv.rmi.Rmi.replicaService(b.host(), b.port());
        assertThat(oneAgain).isNotSameAs(one).isEqualTo(one);
        assertThat(CallCombiner.of(oneAgain)).isSameAs(CallCombiner.of(one));
        assertThat(CallCombiner.of(two)).isNotSameAs(CallCombiner.of(one));
    }

    @Test
    void aWatchDeliversEveryChangeOnceInOrder() throws Exception {
        long from = kv.revision();
        List<Change> seen = new CopyOnWriteArrayList<>();
        try (Watch w = kv.watch("lib-w*", from, seen::add)) {
            kv.set("lib-w1", "a");
            kv.set("lib-other", "x");
            kv.set("lib-w2", "b");
            kv.delete("lib-w1");
            long last = kv.revision("lib-w1");
            awaitSize(seen, 3);
            assertThat(seen).extracting(Change::key).containsExactly("lib-w1", "lib-w2", "lib-w1");
            assertThat(seen.get(2).deleted()).isTrue();
            assertThat(seen.get(2).revision()).isEqualTo(last);
            assertThat(seen).extracting(Change::revision).isSorted();
            assertThat(w.failure()).isEmpty();
        }
        // The same from a revision in the past: the history is replayed.
        List<Change> again = new CopyOnWriteArrayList<>();
        try (Watch w = kv.watch("lib-w*", from, again::add)) {
            awaitSize(again, 3);
            assertThat(again).isEqualTo(seen);
        }
    }

    @Test
    void aWatchGoesOnAtAnotherReplicaWhenItsReplicaStops(@TempDir Path dir) throws Exception {
        try (LocalCluster c = LocalCluster.start(3, dir); LamportKv k = LamportKv.connect(c.configFile())) {
            long from = k.revision();
            List<Change> seen = new CopyOnWriteArrayList<>();
            try (Watch w = k.watch("x", from, seen::add)) {
                k.set("x", "1");
                awaitSize(seen, 1);
                c.stop(1);                                   // the watch's replica: the first in id order
                for (int i = 2; i <= 5; i++) {
                    k.set("x", String.valueOf(i));
                }
                awaitSize(seen, 5);
                assertThat(seen).extracting(ch -> ch.value().orElseThrow()).containsExactly("1", "2", "3", "4", "5");
            }
        }
    }

    @Test
    void locksAreExclusiveAndFenced() throws Exception {
        try (Lock first = kv.lock("lib-lock", Duration.ofSeconds(5))) {
            assertThat(first.held()).isTrue();
            assertThat(kv.tryLock("lib-lock", Duration.ofSeconds(5), Duration.ofMillis(300)))
                    .as("held: a second request waits, then leaves the queue").isEmpty();
            long fence = first.token();
            ExecutorService other = Executors.newSingleThreadExecutor();
            Future<Long> waiter = other.submit(() -> {
                try (Lock second = kv.lock("lib-lock", Duration.ofSeconds(5))) {
                    return second.token();
                }
            });
            Thread.sleep(300);
            assertThat(waiter).isNotDone();
            first.close();
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isGreaterThan(fence);
            other.shutdown();
        }
    }

    @Test
    void aLeaseThatIsNotRenewedEndsAndTheNextInLineHolds() throws Exception {
        String granted = kv.execute("lock", "lib-lease", "0.5");       // the shell's way: nobody renews it
        assertThat(granted).startsWith("granted ");
        long stale = Long.parseLong(granted.split(" ")[1]);
        long started = System.nanoTime();
        try (Lock next = kv.lock("lib-lease", Duration.ofSeconds(5))) {
            assertThat(next.token()).isGreaterThan(stale);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(kv.execute("renew", "lib-lease", String.valueOf(stale))).isEqualTo("0");
        }
        assertThat(Optional.of(kv.execute("unlock", "lib-lease", String.valueOf(stale)))).contains("0");
    }

    private static void awaitSize(List<?> list, int size) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (list.size() < size && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertThat(list).hasSizeGreaterThanOrEqualTo(size);
    }
}
