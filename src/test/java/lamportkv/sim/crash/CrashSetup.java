package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The shape of one run, drawn from its seed: cluster size, clients, timing, how often rounds
 * commit and snapshots are taken, and when crashes strike.
 *
 * @param replicas         2 to 5
 * @param clients          a handful, each with its own client id
 * @param operations       per client
 * @param timeout          steps a client waits for an answer before it retries elsewhere
 * @param maxDelay         a released message or a confirmation arrives 0..maxDelay steps later
 * @param maxRoundInputs   a round commits at the latest after this many inputs
 * @param commitWeight     how often a step commits a pending round rather than take another input
 * @param snapshotOneIn    after a commit, a snapshot with chance 1 in this
 * @param maxDown          a crashed replica stays down 1..maxDown steps
 * @param crashSteps       the steps at which crash events strike, ascending (at least one)
 */
record CrashSetup(int replicas, int clients, int operations, int timeout, int maxDelay, int maxRoundInputs,
                  double commitWeight, int snapshotOneIn, int maxDown, List<Long> crashSteps) {

    static CrashSetup draw(Random random) {
        int replicas = 2 + random.nextInt(4);
        int clients = 2 + random.nextInt(4);
        int operations = 3 + random.nextInt(6);
        int timeout = 25 + random.nextInt(60);
        int maxDelay = random.nextInt(6);
        int maxRoundInputs = 1 + random.nextInt(5);
        double commitWeight = 1 + 3 * random.nextDouble();
        int snapshotOneIn = 3 + random.nextInt(12);
        int maxDown = 1 + random.nextInt(40);
        List<Long> crashSteps = new ArrayList<>();
        long at = 3 + random.nextInt(60);
        for (int k = 1 + random.nextInt(4); k > 0; k--) {
            crashSteps.add(at);
            at += 5 + random.nextInt(80);
        }
        return new CrashSetup(replicas, clients, operations, timeout, maxDelay, maxRoundInputs, commitWeight,
                snapshotOneIn, maxDown, List.copyOf(crashSteps));
    }

    String describe() {
        return replicas + " replicas, " + clients + " clients x " + operations + " operations, timeout " + timeout
                + ", delay <=" + maxDelay + ", rounds <=" + maxRoundInputs + " inputs, snapshot 1 in " + snapshotOneIn
                + ", down <=" + maxDown + ", crashes at steps " + crashSteps;
    }
}
