package lamportkv.sim;

import java.util.List;
import java.util.Objects;
import java.util.Random;
import lamportkv.check.CheckResult;
import lamportkv.check.DistinctAdds;
import lamportkv.check.Entry;
import lamportkv.check.LinearizabilityChecker;
import lamportkv.core.OrderingCore;
import lamportkv.core.RequestId;
import lamportkv.core.Result;

/**
 * One deterministic run from one seed: the seed picks the cluster size (2 to 5), the clients,
 * the workload and every interleaving; then the end-of-run checks judge what happened. The same
 * seed always gives the same run.
 */
final class Simulation {
    /** Far above any run's length; reaching it means the cluster never drained. */
    static final long MAX_STEPS = 1_000_000;

    private Simulation() {
    }

    static SimulationReport run(long seed, boolean fifo) {
        return run(seed, fifo, false);
    }

    static SimulationReport run(long seed, boolean fifo, boolean tracing) {
        Random random = new Random(Seeds.scramble(seed));
        int size = 2 + random.nextInt(4);
        int clientsPerReplica = 1 + random.nextInt(3);
        int operationsPerClient = 2 + random.nextInt(9);
        double issueBias = 0.05 + 0.6 * random.nextDouble();
        long clientExpiry = 20 + random.nextInt(500);
        Workload workload = new Workload(random);
        SimulatedCluster cluster = new SimulatedCluster(size, clientsPerReplica, operationsPerClient, issueBias,
                clientExpiry, fifo, random, workload, tracing);

        cluster.run(MAX_STEPS);
        if (!cluster.stopped()) {
            checkAtEnd(cluster);
        }
        String setup = size + " replicas, " + size * clientsPerReplica + " clients x " + operationsPerClient
                + " operations, keys " + workload.keys() + " + " + Workload.COUNTER
                + String.format(", issue bias %.2f, ", issueBias) + (fifo ? "FIFO links" : "non-FIFO links");
        return new SimulationReport(seed, fifo, setup, cluster.steps(), cluster.issued(),
                cluster.violations(), cluster.trace());
    }

    private static void checkAtEnd(SimulatedCluster cluster) {
        Violations<Check> v = cluster.violations();
        checkLiveness(cluster, v);
        checkSameSequence(cluster, v);
        checkConvergence(cluster, v);
        checkResults(cluster, v);
        checkHistory(cluster.history().entries(), v);
        for (int id = 1; id <= cluster.size(); id++) {
            int left = cluster.core(id).state().bufferLength();
            if (left > 0) {
                v.add(Check.BUFFERS, "replica " + id + " still holds " + left + " requests: "
                        + cluster.core(id).state().bufferInOrder());
            }
        }
    }

    /** The network drained, so every operation must have been answered. */
    private static void checkLiveness(SimulatedCluster cluster, Violations<Check> v) {
        if (!cluster.drained()) {
            v.add(Check.LIVENESS, "still busy after " + MAX_STEPS + " steps");
        }
        for (SimulatedCluster.Client c : cluster.clients()) {
            if (c.call != null) {
                OrderingCore origin = cluster.core(c.replica);
                v.add(Check.LIVENESS, "client " + c.id + "'s " + String.join(" ", c.op.words()) + " (request "
                        + c.requestId + " at replica " + c.replica + ") was never answered; it waits for replicas "
                        + origin.waitingFor(c.requestId));
            }
        }
    }

    /** Every replica applied every request, the same ones in the same order. */
    private static void checkSameSequence(SimulatedCluster cluster, Violations<Check> v) {
        List<RequestId> reference = ids(cluster.appliedAt(1));
        if (reference.size() != cluster.issued() || reference.stream().distinct().count() != reference.size()) {
            v.add(Check.ORDER, "replica 1 applied " + reference.size() + " requests ("
                    + reference.stream().distinct().count() + " distinct) of " + cluster.issued() + " issued");
        }
        for (int id = 2; id <= cluster.size(); id++) {
            List<RequestId> here = ids(cluster.appliedAt(id));
            if (!here.equals(reference)) {
                v.add(Check.ORDER, "replica " + id + " applied " + here + "\nbut replica 1 applied " + reference);
            }
        }
    }

    private static void checkConvergence(SimulatedCluster cluster, Violations<Check> v) {
        var first = cluster.core(1).state();
        for (int id = 2; id <= cluster.size(); id++) {
            var other = cluster.core(id).state();
            if (!other.data().equals(first.data()) || !other.digest().equals(first.digest())) {
                v.add(Check.CONVERGENCE, "replica " + id + " ends with " + other.data() + " (digest "
                        + other.digest() + ") but replica 1 with " + first.data() + " (digest " + first.digest() + ")");
            }
            if (other.clientCount() != first.clientCount()) {
                v.add(Check.CONVERGENCE, "replica " + id + " remembers " + other.clientCount()
                        + " clients but replica 1 remembers " + first.clientCount());
            }
        }
    }

    /** Each replica computed, for each request, the result its origin computed and answered. */
    private static void checkResults(SimulatedCluster cluster, Violations<Check> v) {
        for (int id = 1; id <= cluster.size(); id++) {
            for (SimulatedCluster.Applied a : cluster.appliedAt(id)) {
                Result atOrigin = cluster.originResult(a.request().id()).orElse(null);
                if (!Objects.equals(atOrigin, a.result())) {
                    v.add(Check.RESULTS, a.describe() + " gave " + a.result() + " but its origin gave "
                            + (atOrigin == null ? "nothing (never applied it)" : atOrigin));
                }
            }
        }
    }

    private static void checkHistory(List<Entry> history, Violations<Check> v) {
        CheckResult linearizable = LinearizabilityChecker.check(history);
        if (linearizable.verdict() == CheckResult.Verdict.VIOLATION) {
            v.add(Check.LINEARIZABILITY, linearizable.explanation());
        } else if (linearizable.verdict() == CheckResult.Verdict.INCONCLUSIVE) {
            v.add(Check.LINEARIZABILITY_INCONCLUSIVE, linearizable.explanation());
        }
        CheckResult adds = DistinctAdds.check(history, Workload.COUNTER);
        if (!adds.ok()) {
            v.add(Check.DISTINCT_ADDS, adds.explanation());
        }
    }

    private static List<RequestId> ids(List<SimulatedCluster.Applied> applied) {
        return applied.stream().map(a -> a.request().id()).toList();
    }
}
