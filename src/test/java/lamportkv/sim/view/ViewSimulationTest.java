package lamportkv.sim.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import lamportkv.core.Flaw;
import org.junit.jupiter.api.Test;

class ViewSimulationTest {
    private static final int SEEDS = Integer.getInteger("lamportkv.sim.view.seeds", 1000);

    @Test
    void oneSeed() {
        ViewSimulation.Stats s = new ViewSimulation(Long.getLong("seed", 1), Integer.getInteger("n", 3), Set.of()).run();
        System.out.println(s);
    }

    @Test
    void manySeeds() {
        int views = 0, wipes = 0, transfers = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            ViewSimulation.Stats s = new ViewSimulation(seed, seed % 5 == 0 ? 5 : 3, Set.of()).run();
            views += s.viewChanges();
            wipes += s.wipes();
            transfers += s.transfers();
        }
        System.out.println("views " + views + " wipes " + wipes + " transfers " + transfers);
        assertThat(views).isPositive();
    }

    @Test
    void variants() {
        String only = System.getProperty("flaw");
        for (Flaw flaw : new Flaw[]{Flaw.FLUSH_BY_INTERSECTION, Flaw.MINORITY_VIEW, Flaw.NO_STOP_ON_PROMISE,
                Flaw.FORGET_PROMISE_ON_RESTART, Flaw.WIPED_REPLICA_VOTES}) {
            if (only != null && !only.equals(flaw.name())) {
                continue;
            }
            String caught = "not caught";
            for (long seed = 1; seed <= Integer.getInteger("variantSeeds", 400); seed++) {
                try {
                    new ViewSimulation(seed, seed % 5 == 0 ? 5 : 3, Set.of(flaw)).run();
                } catch (Throwable t) {
                    caught = "seed " + seed + ": " + t;
                    break;
                }
            }
            System.out.println(flaw + " -> " + caught);
        }
    }
}
