package lamportkv.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Views (PROTOCOL.md, "Views"), with real JVMs started by {@code run-replica.sh} and real
 * clients ({@code run-client.sh}, piped, {@link CounterLoad}): the cluster keeps serving while a
 * minority is killed, stopped, frozen or wiped, excludes it within {@code view.suspect.seconds}
 * (default 2) plus a few round trips, takes it back with the state when it returns, and never
 * answers from a minority. Every test runs {@code add counter 1} from several clients throughout
 * and ends with: no client was told an error, and the counter is exactly the number of
 * acknowledged adds, read through a replica that stayed up.
 *
 * <p>Alone: {@code mvn verify -Dit.test=ViewFailoverIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false}
 * (the long freeze of {@link #frozenReplicaIsExcludedAndRejoins} is {@value #DEFAULT_PAUSE_SECONDS}
 * s; {@code -Dlamportkv.views.pauseSeconds=8} shortens it).
 */
class ViewFailoverIT {
    /** How long {@link #frozenReplicaIsExcludedAndRejoins} keeps a replica SIGSTOPped, unless -Dlamportkv.views.pauseSeconds says. */
    static final int DEFAULT_PAUSE_SECONDS = 30;
    static final int PAUSE_SECONDS = Integer.getInteger("lamportkv.views.pauseSeconds", DEFAULT_PAUSE_SECONDS);
    /** Concurrent {@code run-client.sh} processes adding to the counter. */
    private static final int CLIENTS = 6;
    /** Each add's whole budget, retries included: far above a view change, so any error is a real one. */
    private static final int CLIENT_TIMEOUT_SECONDS = 30;
    /** Adds acknowledged before a fault (the clients are up and running) and after each step (service goes on). */
    private static final int PROGRESS = 30;
    /** How long the first adds may take: every client JVM starting on two cores. */
    private static final Duration WARM_UP_WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path dir;


    @Test
    @Timeout(300)
    @DisplayName("(a) kill -9 of one of three under load: no client error, counter exact; restarted, it rejoins with the same state")
    void killedReplicaIsExcludedThenRejoins() throws Exception {
        try (ProcessCluster cluster = started(3);
             CounterLoad load = CounterLoad.start(cluster, CounterLoad.spread(CLIENTS, cluster.ids()), CLIENT_TIMEOUT_SECONDS)) {
            load.awaitProgress(PROGRESS, WARM_UP_WITHIN, "before any fault");
            cluster.note(load.acked() + " adds acknowledged; the fault comes now");

            cluster.kill(3);
            cluster.note("killed replica 3");
            Duration resumed = load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after kill -9 of replica 3");
            ViewStatus.View without = ViewStatus.awaitMembers(cluster, List.of(1, 2), Set.of(1, 2),
                    ViewStatus.VIEW_CHANGE_WITHIN, "replica 3 was killed");
            cluster.note("view " + without + " on replicas 1 and 2");
            assertThat(without.number()).as("the view without replica 3").isPositive();

            cluster.start(3);           // the same command as the first time
            cluster.note("restarted replica 3");
            ViewStatus.View with = ViewStatus.awaitMembers(cluster, List.of(1, 2, 3), Set.of(1, 2, 3),
                    ViewStatus.REJOIN_WITHIN, "replica 3 was restarted");
            cluster.note("view " + with + " on every replica");
            assertThat(with.number()).as("view numbers only grow").isGreaterThan(without.number());
            load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after replica 3 rejoined");

            CounterLoad.Summary summary = load.finish(cluster, 1, List.of(1, 2, 3));
            summary.assertNoAddSlowerThan(ViewStatus.VIEW_CHANGE_WITHIN);
            assertThat(summary.retryNotices()).as("the clients of replica 3 failed over; %s", summary).isPositive();
            System.out.printf("(a) adds resumed %.1f s after the kill; views %s then %s; %s%n",
                    resumed.toMillis() / 1000.0, without, with, summary);
        }
    }

    @Test
    @Timeout(300)
    @DisplayName("(b) a replica stopped, its data directory deleted, restarted: it rejoins with the same state")
    void wipedReplicaRejoinsWithTheState() throws Exception {
        try (ProcessCluster cluster = started(3);
             CounterLoad load = CounterLoad.start(cluster, CounterLoad.spread(CLIENTS, cluster.ids()), CLIENT_TIMEOUT_SECONDS)) {
            load.awaitProgress(PROGRESS, WARM_UP_WITHIN, "before any fault");
            cluster.note(load.acked() + " adds acknowledged; the fault comes now");

            cluster.terminate(2);
            int files = cluster.wipe(2);
            assertThat(files).as("files in replica 2's data directory before the wipe").isPositive();
            assertThat(Files.exists(cluster.dataDir(2))).isFalse();
            cluster.note("stopped replica 2 and deleted its " + files + " files");
            load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after replica 2 stopped");
            ViewStatus.View without = ViewStatus.awaitMembers(cluster, List.of(1, 3), Set.of(1, 3),
                    ViewStatus.VIEW_CHANGE_WITHIN, "replica 2 was stopped");
            cluster.note("view " + without + " on replicas 1 and 3");

            cluster.start(2);           // an empty disk: it must be given the state, not rebuild it
            cluster.note("restarted replica 2 on an empty data directory");
            ViewStatus.View with = ViewStatus.awaitMembers(cluster, List.of(1, 2, 3), Set.of(1, 2, 3),
                    ViewStatus.REJOIN_WITHIN, "replica 2 was restarted with an empty data directory");
            cluster.note("view " + with + " on every replica");
            assertThat(with.number()).as("view numbers only grow").isGreaterThan(without.number());
            load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after the wiped replica 2 rejoined");

            CounterLoad.Summary summary = load.finish(cluster, 1, List.of(1, 2, 3));
            summary.assertNoAddSlowerThan(ViewStatus.VIEW_CHANGE_WITHIN);
            System.out.printf("(b) %d files wiped; views %s then %s; %s%n", files, without, with, summary);
        }
    }

    @Test
    @Timeout(300)
    @DisplayName("(c) one replica SIGSTOPped for a long time under load: the others keep answering; after SIGCONT it rejoins")
    void frozenReplicaIsExcludedAndRejoins() throws Exception {
        try (ProcessCluster cluster = started(3);
             CounterLoad load = CounterLoad.start(cluster, CounterLoad.spread(CLIENTS, cluster.ids()), CLIENT_TIMEOUT_SECONDS)) {
            load.awaitProgress(PROGRESS, WARM_UP_WITHIN, "before any fault");
            cluster.note(load.acked() + " adds acknowledged; the fault comes now");

            long frozen = System.nanoTime();
            cluster.pause(2);
            cluster.note("SIGSTOP to replica 2 for " + PAUSE_SECONDS + " s");
            Duration resumed;
            ViewStatus.View without;
            try {
                resumed = load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after SIGSTOP of replica 2");
                without = ViewStatus.awaitMembers(cluster, List.of(1, 3), Set.of(1, 3), ViewStatus.VIEW_CHANGE_WITHIN,
                        "replica 2 is frozen");
                cluster.note("view " + without + " on replicas 1 and 3");
                long left = Duration.ofSeconds(PAUSE_SECONDS).toMillis() - (System.nanoTime() - frozen) / 1_000_000;
                Thread.sleep(Math.max(0, left));
                assertThat(load.failures()).as("failed adds while replica 2 was frozen").isEmpty();
            } finally {
                cluster.resume(2);
                cluster.note("SIGCONT to replica 2");
            }
            ViewStatus.View with = ViewStatus.awaitMembers(cluster, List.of(1, 2, 3), Set.of(1, 2, 3),
                    ViewStatus.REJOIN_WITHIN, "replica 2 was resumed after " + PAUSE_SECONDS + " s");
            cluster.note("view " + with + " on every replica");
            assertThat(with.number()).as("view numbers only grow").isGreaterThan(without.number());
            load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after replica 2 rejoined");

            CounterLoad.Summary summary = load.finish(cluster, 1, List.of(1, 2, 3));
            summary.assertNoAddSlowerThan(ViewStatus.VIEW_CHANGE_WITHIN);
            assertThat(summary.retryNotices()).as("the clients of replica 2 failed over; %s", summary).isPositive();
            System.out.printf("(c) frozen %d s; adds resumed %.1f s after the SIGSTOP; views %s then %s; %s%n",
                    PAUSE_SECONDS, resumed.toMillis() / 1000.0, without, with, summary);
        }
    }

    @Test
    @Timeout(300)
    @DisplayName("(d) two of three SIGSTOPped: the third answers nothing, saying it has no working view; after SIGCONT all complete")
    void minorityAnswersNothingUntilTheMajorityReturns() throws Exception {
        // Every add must outlive the freeze: the pending ones complete once the majority is back.
        int patientTimeout = 90;
        try (ProcessCluster cluster = started(3);
             CounterLoad load = CounterLoad.start(cluster, CounterLoad.spread(CLIENTS, cluster.ids()), patientTimeout)) {
            load.awaitProgress(PROGRESS, WARM_UP_WITHIN, "before any fault");
            cluster.note(load.acked() + " adds acknowledged; the fault comes now");

            ProcessCluster.ClientRun probe;
            long ackedFrozen;
            long ackedAfterProbe;
            cluster.pause(1);
            cluster.pause(2);
            cluster.note("SIGSTOP to replicas 1 and 2");
            try {
                // Adds under way at the SIGSTOP may still complete (their OKs were in); after the
                // suspicion, nothing can: a minority neither executes nor forms a view.
                Thread.sleep(ViewStatus.SUSPECT.plusSeconds(2).toMillis());
                ackedFrozen = load.acked();
                probe = cluster.on(3, 8, "get", CounterLoad.KEY);
                ackedAfterProbe = load.acked();
                cluster.note("replica 3 alone: " + probe);
            } finally {
                cluster.resume(1);
                cluster.resume(2);
                cluster.note("SIGCONT to replicas 1 and 2");
            }
            assertThat(probe.exitCode()).as("a read on replica 3 alone: %s", probe).isEqualTo(1);
            assertThat(probe.out()).as("replica 3 alone answered: %s", probe).isEmpty();
            assertThat(ackedAfterProbe).as("adds acknowledged while two of three were frozen (split brain)")
                    .isEqualTo(ackedFrozen);
            assertThat(probe.err()).as("why replica 3 alone did not answer").contains(ViewStatus.NO_WORKING_VIEW);

            ViewStatus.View view = ViewStatus.awaitMembers(cluster, List.of(1, 2, 3), Set.of(1, 2, 3),
                    ViewStatus.REJOIN_WITHIN, "replicas 1 and 2 were resumed");
            cluster.note("view " + view + " on every replica");
            load.awaitProgress(PROGRESS, ViewStatus.REJOIN_WITHIN, "after replicas 1 and 2 were resumed");

            CounterLoad.Summary summary = load.finish(cluster, 3, List.of(1, 2, 3));
            System.out.printf("(d) replica 3 alone said: %s; view afterwards %s; %s%n", probe.err().strip(), view, summary);
        }
    }

    @Test
    @Timeout(300)
    @DisplayName("(e) five replicas, two of them killed at once under load: no client error, counter exact")
    void fiveReplicasSurviveTwoKills() throws Exception {
        long seed = Long.getLong("lamportkv.views.seed", System.nanoTime());
        List<Integer> victims = new ArrayList<>(List.of(1, 2, 3, 4, 5));
        java.util.Collections.shuffle(victims, new Random(seed));
        victims = new ArrayList<>(new TreeSet<>(victims.subList(0, 2)));
        List<Integer> survivors = new ArrayList<>(List.of(1, 2, 3, 4, 5));
        survivors.removeAll(victims);
        String which = "killed " + victims + " (-Dlamportkv.views.seed=" + seed + ")";
        System.out.println("(e) " + which);

        try (ProcessCluster cluster = started(5);
             CounterLoad load = CounterLoad.start(cluster, CounterLoad.spread(CLIENTS, cluster.ids()), CLIENT_TIMEOUT_SECONDS)) {
            load.awaitProgress(PROGRESS, WARM_UP_WITHIN, "before any fault");
            cluster.note(load.acked() + " adds acknowledged; the fault comes now");

            for (int victim : victims) {
                cluster.kill(victim);
            }
            cluster.note(which);
            Duration resumed = load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after kill -9 of " + which);
            ViewStatus.View view = ViewStatus.awaitMembers(cluster, survivors, Set.copyOf(survivors),
                    ViewStatus.VIEW_CHANGE_WITHIN, which);
            cluster.note("view " + view + " on replicas " + survivors);
            load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "in the view of " + survivors);

            CounterLoad.Summary summary = load.finish(cluster, survivors.get(0), survivors);
            summary.assertNoAddSlowerThan(ViewStatus.VIEW_CHANGE_WITHIN);
            assertThat(summary.retryNotices()).as("the clients of %s failed over; %s", victims, summary).isPositive();
            System.out.printf("(e) %s; adds resumed %.1f s after; view %s; %s%n", which, resumed.toMillis() / 1000.0,
                    view, summary);
        }
    }

    /** A cluster of {@code replicas} started with {@code run-replica.sh}, every one answering, and {@code counter} set to 0. */
    private ProcessCluster started(int replicas) throws Exception {
        ProcessCluster cluster = ProcessCluster.create(replicas, dir);
        try {
            cluster.startAll();
            cluster.note(replicas + " replicas answer");
            CounterLoad.prepare(cluster);
            return cluster;
        } catch (Throwable e) {
            cluster.close();
            throw e;
        }
    }
}
