package lamportkv.sim.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import lamportkv.core.Flaw;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Views under faults, many seeds (see {@link ViewSimulation}); and every broken variant caught.
 * A failure names its seed; replay it with a trace:
 * {@code mvn -q test -Dtest='ViewSimulationTest#replay' -Dview.seed=123 -Dlamportkv.sim.view.trace=true}.
 * A longer soak: {@code -Dlamportkv.sim.view.seeds=20000}.
 */
class ViewSimulationTest {
    private static final int SEEDS = Integer.getInteger("lamportkv.sim.view.seeds", 1000);

    /** Three replicas, and five in every fifth seed. */
    private static int replicas(long seed) {
        return seed % 5 == 0 ? 5 : 3;
    }

    @Test
    @DisplayName("views under crashes, lost disks, freezes, partitions and lossy messages: every check holds on every seed")
    void manySeeds() {
        long views = 0, crashes = 0, wipes = 0, freezes = 0, partitions = 0, transfers = 0, acked = 0, retries = 0;
        long kept = 0, deferred = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            ViewSimulation.Stats s = new ViewSimulation(seed, replicas(seed), Set.of()).run();
            views += s.viewChanges();
            crashes += s.crashes();
            wipes += s.wipes();
            freezes += s.freezes();
            partitions += s.partitions();
            transfers += s.transfers();
            acked += s.acked();
            retries += s.retries();
            kept += s.appliesKept();
            deferred += s.forcesDeferred();
        }
        System.out.printf("%d seeds: %d view changes, %d crashes, %d lost disks, %d freezes, %d partitions,"
                + " %d state transfers, %d acknowledged adds, %d client retries, %d rounds keeping APPLYs back,"
                + " %d rounds deferring their force%n",
                SEEDS, views, crashes, wipes, freezes, partitions, transfers, acked, retries, kept, deferred);
        // Not vacuous: every kind of fault happened, views changed, replicas were re-seeded.
        assertThat(views).as("view changes").isGreaterThan(10L * SEEDS);
        assertThat(wipes).as("lost disks").isGreaterThan(SEEDS / 4);
        assertThat(transfers).as("state transfers").isGreaterThan(SEEDS);
        assertThat(crashes).as("crashes").isGreaterThan(SEEDS);
        assertThat(freezes).as("freezes").isGreaterThan(SEEDS / 4);
        assertThat(partitions).as("partitions").isGreaterThan(SEEDS);
        assertThat(retries).as("client retries").isGreaterThan(SEEDS);
        assertThat(kept).as("rounds keeping APPLYs back for the next (ApplyHold)").isGreaterThan(SEEDS);
        assertThat(deferred).as("rounds deferring their force to the next (Node.deferrable)").isGreaterThan(SEEDS);
    }

    @Test
    @DisplayName("cas, rev and a shared lock with short leases across the same faults: replicas agree on revisions and locks")
    void coordinationAcrossViewChanges() {
        long views = 0, transfers = 0, granted = 0, queued = 0, released = 0;
        int seeds = SEEDS / 4;
        for (long seed = 1; seed <= seeds; seed++) {
            ViewSimulation.Stats s = new ViewSimulation(seed, replicas(seed), Set.of(), true).run();
            views += s.viewChanges();
            transfers += s.transfers();
            granted += s.locksGranted();
            queued += s.locksQueued();
            released += s.unlocksThatHeld();
        }
        System.out.printf("%d seeds with cas, rev and locks: %d view changes, %d state transfers, %d locks granted at"
                + " once, %d queued, %d unlocks that held%n", seeds, views, transfers, granted, queued, released);
        // Every replica ended with the same digest, which covers revisions, the history's start and
        // the lock table; and all of it went through view changes and state transfers.
        assertThat(views).isGreaterThan(10L * seeds);
        assertThat(transfers).isGreaterThan(seeds);
        assertThat(granted).isGreaterThan(seeds);
        assertThat(queued).isGreaterThan(seeds / 4);
        assertThat(released).isGreaterThan(seeds / 4);
    }

    /**
     * Each rule broken on purpose is caught, at a known seed: the first seed that fails, and the
     * check that fails. (The seeds are those of this simulation; a change to it may move them.)
     */
    @ParameterizedTest(name = "{0} is caught at seed {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            // V4: keep only what every report holds, from the least advanced: a member applied beyond it
            "FLUSH_BY_INTERSECTION     | 3   | does not start from",
            // V2: a view of one replica of three
            "MINORITY_VIEW             | 1   | holds no majority",
            // V3: an acceptor that goes on ordering after its promise loses its place
            "NO_STOP_ON_PROMISE        | 1   | no convergence",
            // V2: an acceptor that forgot its accepted value lets a second view take the same number
            "FORGET_PROMISE_ON_RESTART | 54  | two views numbered",
            // V6: a replica that lost its disk votes again, as if it remembered its promises
            "WIPED_REPLICA_VOTES       | 226 | two views numbered",
    })
    void brokenVariantsAreCaught(Flaw flaw, long seed, String check) {
        for (long s = 1; s < seed; s++) {
            new ViewSimulation(s, replicas(s), Set.of(flaw)).run();    // the seeds before pass
        }
        Throwable caught = null;
        try {
            new ViewSimulation(seed, replicas(seed), Set.of(flaw)).run();
        } catch (AssertionError | IllegalStateException e) {
            caught = e;
        }
        assertThat(caught).as(flaw + " at seed " + seed).isNotNull();
        assertThat(caught.getMessage()).contains(check);
        // The same seed passes with the rule intact: it is the flaw that is caught.
        new ViewSimulation(seed, replicas(seed), Set.of()).run();
    }

    /** One seed, for a replay with {@code -Dview.seed=N} (and {@code -Dview.n=5}, {@code -Dlamportkv.sim.view.trace=true}). */
    @Test
    void replay() {
        Long seed = Long.getLong("view.seed");
        org.junit.jupiter.api.Assumptions.assumeTrue(seed != null, "replays a seed given by -Dview.seed=N");
        System.out.println(new ViewSimulation(seed, Integer.getInteger("view.n", replicas(seed)), Set.of()).run());
    }
}
