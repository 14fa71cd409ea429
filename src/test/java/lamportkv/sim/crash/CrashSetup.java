package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The shape of one run, drawn from its seed: cluster size, clients, timing, how often rounds
 * commit and snapshots are taken, when crashes strike, and how far the replicas' clocks are apart.
 *
 * @param replicas        2 to 5 (1 for the variants that need a replica alone)
 * @param clients         a handful, each with its own client id
 * @param operations      per client
 * @param budget          steps a client gives one operation, retries included (the replica's deadline)
 * @param maxDelay        a released message or a confirmation arrives 0..maxDelay steps later
 * @param maxRoundInputs  a round commits at the latest after this many inputs
 * @param commitWeight    how often a step commits a pending round rather than take another input
 * @param maxUnforced     unforced records wait at most this many steps for a force (the real 10 ms)
 * @param snapshotOneIn   after a forced commit, a snapshot with chance 1 in this
 * @param maxDown         a crashed replica stays down 1..maxDown steps
 * @param crashSteps      the steps at which crash events strike, ascending (at least one)
 * @param clientExpiry    the client table's expiry, in wall-clock ms (a step is a ms): short, but
 *                        far longer than a budget plus the time a clock reading can be stale, so
 *                        that a retry never finds its record expired unless expiry is broken
 * @param skewedReplica   0, or the replica whose clock runs {@code skewMillis} off the others'
 * @param skewMillis      two hours, ahead or behind
 */
record CrashSetup(int replicas, int clients, int operations, int budget, int maxDelay, int maxRoundInputs,
                  double commitWeight, int maxUnforced, int snapshotOneIn, int maxDown, List<Long> crashSteps,
                  long clientExpiry, int skewedReplica, long skewMillis) {

    static final long TWO_HOURS = 2 * 3_600_000L;

    static CrashSetup draw(Random random) {
        int replicas = 2 + random.nextInt(4);
        int clients = 2 + random.nextInt(4);
        int operations = 3 + random.nextInt(6);
        int budget = 150 + random.nextInt(250);
        int maxDelay = random.nextInt(6);
        int maxRoundInputs = 1 + random.nextInt(5);
        double commitWeight = 1 + 3 * random.nextDouble();
        int maxUnforced = 2 + random.nextInt(15);
        int snapshotOneIn = 3 + random.nextInt(12);
        int maxDown = 1 + random.nextInt(40);
        List<Long> crashSteps = new ArrayList<>();
        long at = 3 + random.nextInt(60);
        for (int k = 1 + random.nextInt(4); k > 0; k--) {
            crashSteps.add(at);
            at += 5 + random.nextInt(80);
        }
        long clientExpiry = 1_500 + random.nextInt(1_500);
        int skewed = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(replicas);
        long skew = random.nextInt(4) == 0 ? -TWO_HOURS : TWO_HOURS;
        return new CrashSetup(replicas, clients, operations, budget, maxDelay, maxRoundInputs, commitWeight,
                maxUnforced, snapshotOneIn, maxDown, List.copyOf(crashSteps), clientExpiry, skewed, skew);
    }

    /**
     * The same run with {@code n} replicas (a skewed clock, if any, moves to the last). A replica
     * alone does its clients' work in a few dozen steps, so there its crashes strike that much sooner.
     */
    CrashSetup withReplicas(int n) {
        List<Long> steps = n > 1 ? crashSteps : crashSteps.stream().map(s -> 2 + s / 6).distinct().toList();
        return new CrashSetup(n, clients, operations, budget, maxDelay, maxRoundInputs, commitWeight, maxUnforced,
                snapshotOneIn, maxDown, steps, clientExpiry, skewedReplica == 0 ? 0 : Math.min(skewedReplica, n),
                skewMillis);
    }

    /** Replica {@code id}'s clock skew: the wall clock reads the step plus this. */
    long wallOffset(int id) {
        return id == skewedReplica ? skewMillis : 0;
    }

    String describe() {
        return replicas + " replicas, " + clients + " clients x " + operations + " operations, budget " + budget
                + ", delay <=" + maxDelay + ", rounds <=" + maxRoundInputs + " inputs, unforced <=" + maxUnforced
                + ", snapshot 1 in " + snapshotOneIn + ", down <=" + maxDown + ", crashes at steps " + crashSteps
                + ", client expiry " + clientExpiry
                + (skewedReplica == 0 ? "" : ", replica " + skewedReplica + "'s clock " + (skewMillis > 0 ? "+" : "")
                        + skewMillis / 3_600_000 + " h");
    }
}
