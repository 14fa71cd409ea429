package lamportkv.sim.crash;

import lamportkv.sim.Seeds;
import lamportkv.sim.Violations;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import lamportkv.check.CheckResult;
import lamportkv.check.DistinctAdds;
import lamportkv.check.Entry;
import lamportkv.check.LinearizabilityChecker;
import lamportkv.core.ClientTag;
import lamportkv.core.Result;
import lamportkv.core.StateMachine;
import lamportkv.core.Value;
import lamportkv.sim.crash.CrashStats.Counter;

/**
 * One deterministic crash-restart run from one seed: the seed draws the {@link CrashSetup} and
 * every choice of the run ({@link CrashCluster}); then the end-of-run checks judge the outcome.
 * The same seed always gives the same run.
 *
 * <p>A {@link CrashVariant} other than {@code CORRECT} breaks one rule of the model on purpose
 * (e.g. {@code NO_FORCE}: a commit still releases the round's outputs, but does not force the
 * journal, so a crash keeps only what the OS happened to write). The checks must catch it.
 */
final class CrashSimulation {

    private CrashSimulation() {
    }

    static CrashReport run(long seed, CrashVariant variant) {
        return run(seed, variant, false);
    }

    static CrashReport run(long seed, CrashVariant variant, boolean tracing) {
        Random random = new Random(Seeds.scramble(seed));
        CrashSetup setup = CrashSetup.draw(random);
        if (variant.replicas > 0) {
            setup = setup.withReplicas(variant.replicas);
        }
        CrashWorkload workload = new CrashWorkload(random, variant.coordination);
        CrashCluster cluster = new CrashCluster(setup, random, new Random(Seeds.scramble(~seed)), variant, workload,
                tracing);
        cluster.run();
        checkAtEnd(cluster);
        countRetryOutcomes(cluster);
        CrashStats stats = cluster.stats();
        stats.add(Counter.RUNS);
        stats.add(Counter.STEPS, cluster.now());
        String described = setup.describe() + ", keys " + workload.keys() + " + " + CrashWorkload.COUNTER;
        return new CrashReport(seed, variant, described, cluster.now(), stats, cluster.violations(), cluster.trace());
    }

    /** Consecutive seeds give correlated first draws from java.util.Random: mix them first (SplitMix64's finalizer). */
    // ---- end-of-run checks ----------------------------------------------------------------------

    private static void checkAtEnd(CrashCluster cluster) {
        Violations<CrashCheck> v = cluster.violations();
        checkLiveness(cluster, v);
        List<SimulatedReplica> up = cluster.replicas().stream().filter(SimulatedReplica::up).toList();
        checkBuffers(up, v);
        checkSameSequence(cluster, up, v);
        checkConvergence(cluster, up, v);
        checkExactlyOnce(cluster, up, v);
        checkHistory(cluster.history().entries(), v);
    }

    /** Every client operation ended: the user was told something (every replica came back). */
    private static void checkLiveness(CrashCluster cluster, Violations<CrashCheck> v) {
        for (CrashClient c : cluster.clients()) {
            if (c.busy()) {
                v.add(CrashCheck.LIVENESS, "client " + c.index + "'s #" + c.seq() + " " + String.join(" ", c.op().words())
                        + " never ended (last tried at replica " + c.replica() + ")");
            } else if (!c.done()) {
                v.add(CrashCheck.LIVENESS, "client " + c.index + " never got to send all its operations");
            }
        }
    }

    private static void checkBuffers(List<SimulatedReplica> up, Violations<CrashCheck> v) {
        for (SimulatedReplica r : up) {
            StateMachine s = r.core().state();
            if (s.bufferLength() > 0) {
                v.add(CrashCheck.BUFFERS, "replica " + r.id() + " still holds " + s.bufferLength() + " requests: "
                        + s.bufferInOrder());
            }
        }
    }

    /**
     * Every replica's applied sequence — recorded live, cut back at each restart to what recovery
     * rebuilt and extended after — is the whole agreed sequence, and its length is the core's own count.
     */
    private static void checkSameSequence(CrashCluster cluster, List<SimulatedReplica> up, Violations<CrashCheck> v) {
        List<CrashCluster.Applied> agreed = cluster.agreedOrder();
        if (agreed.stream().map(a -> a.request().id()).distinct().count() != agreed.size()) {
            v.add(CrashCheck.ORDER, "a request was applied twice: " + agreed.stream().map(a -> a.request().id()).toList());
        }
        for (SimulatedReplica r : up) {
            List<CrashCluster.Applied> here = cluster.appliedAt(r.id());
            long count = r.core().state().appliedCount();
            if (!here.equals(agreed) || count != agreed.size()) {
                v.add(CrashCheck.ORDER, "replica " + r.id() + " applied " + count + " requests (" + here.size()
                        + " seen live since its last restart) but " + agreed.size() + " were agreed");
            }
        }
    }

    private static void checkConvergence(CrashCluster cluster, List<SimulatedReplica> up, Violations<CrashCheck> v) {
        if (up.isEmpty()) {
            return;
        }
        List<CrashCluster.Applied> agreed = cluster.agreedOrder();
        String expected = agreed.isEmpty() ? new StateMachine().digest() : agreed.get(agreed.size() - 1).digest();
        StateMachine first = up.get(0).core().state();
        for (SimulatedReplica r : up) {
            StateMachine s = r.core().state();
            if (!s.digest().equals(expected)) {
                v.add(CrashCheck.CONVERGENCE, "replica " + r.id() + " ends with " + s.data() + " (digest " + s.digest()
                        + "), but the agreed sequence ends at digest " + expected);
            }
            if (!s.data().equals(first.data())) {
                v.add(CrashCheck.CONVERGENCE, "replica " + r.id() + " ends with " + s.data() + ", replica "
                        + up.get(0).id() + " with " + first.data());
            }
            if (s.clientCount() != first.clientCount() || s.appliedCount() != first.appliedCount()) {
                v.add(CrashCheck.CONVERGENCE, "replica " + r.id() + " remembers " + s.clientCount() + " clients after "
                        + s.appliedCount() + " requests, replica " + up.get(0).id() + " " + first.clientCount()
                        + " after " + first.appliedCount());
            }
        }
    }

    /**
     * No lost and no duplicate operation, and nothing untrue told. The counter only ever gets
     * {@code add counter 1} after its one set, so its final value is the number of those adds that
     * took effect: between the number the user was told were applied and the number that may have
     * been (exactly that number when every add was answered, with answers 1..n). Every operation
     * the user was told was applied is in the agreed sequence, its answer being the result of the
     * first time it was applied; every one the user was told was not applied is nowhere in it.
     */
    private static void checkExactlyOnce(CrashCluster cluster, List<SimulatedReplica> up, Violations<CrashCheck> v) {
        Map<List<Long>, CrashCluster.Applied> firstWrite = new HashMap<>();
        Map<List<Long>, Set<Result>> readResults = new HashMap<>();
        for (CrashCluster.Applied a : cluster.agreedOrder()) {
            ClientTag tag = a.request().client();
            List<Long> key = List.of(tag.clientId(), tag.seq());
            if (a.request().op().readOnly()) {
                readResults.computeIfAbsent(key, k -> new HashSet<>()).add(a.result());
            } else {
                firstWrite.putIfAbsent(key, a);
            }
        }
        Set<List<Long>> ordered = new HashSet<>(firstWrite.keySet());
        ordered.addAll(readResults.keySet());
        for (CrashClient c : cluster.clients()) {
            for (CrashClient.Told a : c.told()) {
                String what = "client " + c.index + "'s #" + a.seq() + " " + String.join(" ", a.op().words());
                List<Long> key = List.of(a.clientId(), a.seq());
                if (a.verdict() == lamportkv.client.Attempts.Verdict.NOT_APPLIED) {
                    if (ordered.contains(key)) {
                        v.add(CrashCheck.TOLD, what + " was told \"not applied\" (" + a.how() + ") but was ordered: "
                                + (firstWrite.containsKey(key) ? firstWrite.get(key).describe() : "a read"));
                    }
                    continue;
                }
                if (a.verdict() == lamportkv.client.Attempts.Verdict.MAY_BE_APPLIED) {
                    continue;
                }
                if (a.op().readOnly()) {
                    if (!readResults.getOrDefault(key, Set.of()).contains(a.result())) {
                        v.add(CrashCheck.EXACTLY_ONCE, what + " was answered " + a.result()
                                + ", which no agreed application of it returned");
                    }
                } else if (!firstWrite.containsKey(key)) {
                    v.add(CrashCheck.EXACTLY_ONCE, what + " was answered " + a.result()
                            + " but never applied: a lost operation");
                } else if (!firstWrite.get(key).result().equals(a.result())) {
                    v.add(CrashCheck.EXACTLY_ONCE, what + " was answered " + a.result() + " but took effect as "
                            + firstWrite.get(key).describe());
                }
            }
        }
        checkCounter(cluster, up, v);
    }

    private static void checkCounter(CrashCluster cluster, List<SimulatedReplica> up, Violations<CrashCheck> v) {
        List<Entry> adds = cluster.history().entries().stream()
                .filter(e -> e.op().equals(CrashWorkload.ADD_ONE)).toList();
        long made = adds.size();
        List<Entry> answered = adds.stream().filter(Entry::known).toList();
        TreeSet<BigDecimal> values = new TreeSet<>();
        for (Entry e : answered) {
            Result r = e.result().orElseThrow();
            if (!r.ok()) {
                v.add(CrashCheck.EXACTLY_ONCE, "an add on the counter failed: " + e.describe());
            } else {
                values.add(new BigDecimal(r.text()));
            }
        }
        for (SimulatedReplica r : up) {
            Value counter = r.core().state().data().get(CrashWorkload.COUNTER);
            BigDecimal value = counter instanceof Value.Num n ? n.number() : null;
            boolean allAnswered = answered.size() == made;
            // With every add answered, each took effect exactly once. Otherwise the answered ones took
            // effect and the unanswered ones at most once.
            boolean fine = value != null && (allAnswered ? value.longValueExact() == made
                    : value.longValue() >= answered.size() && value.longValue() <= made)
                    && (values.isEmpty() || values.last().compareTo(value) <= 0);
            if (!fine) {
                v.add(CrashCheck.EXACTLY_ONCE, "replica " + r.id() + " ends with " + CrashWorkload.COUNTER + " = "
                        + (counter == null ? "(nil)" : counter.render()) + " after " + made + " adds of 1 ("
                        + answered.size() + " answered, largest answer " + (values.isEmpty() ? "none" : values.last())
                        + "): an add was lost or applied twice");
            }
        }
        if (answered.size() == made && values.size() == made
                && !values.equals(new TreeSet<>(java.util.stream.LongStream.rangeClosed(1, made)
                        .mapToObj(BigDecimal::valueOf).toList()))) {
            v.add(CrashCheck.EXACTLY_ONCE, "the " + made + " adds of 1 were answered " + values + ", not 1.." + made);
        }
    }

    private static void checkHistory(List<Entry> history, Violations<CrashCheck> v) {
        CheckResult linearizable = LinearizabilityChecker.check(history);
        if (linearizable.verdict() == CheckResult.Verdict.VIOLATION) {
            v.add(CrashCheck.LINEARIZABILITY, linearizable.explanation());
        } else if (linearizable.verdict() == CheckResult.Verdict.INCONCLUSIVE) {
            v.add(CrashCheck.LINEARIZABILITY_INCONCLUSIVE, linearizable.explanation());
        }
        CheckResult adds = DistinctAdds.check(history, CrashWorkload.COUNTER);
        if (!adds.ok()) {
            v.add(CrashCheck.DISTINCT_ADDS, adds.explanation());
        }
    }

    /** Retries that got ordered twice: the client table must have applied a write once (or refused a stale one). */
    private static void countRetryOutcomes(CrashCluster cluster) {
        Set<List<Long>> seen = new HashSet<>();
        CrashStats stats = cluster.stats();
        for (CrashCluster.Applied a : cluster.agreedOrder()) {
            ClientTag tag = a.request().client();
            if (seen.add(List.of(tag.clientId(), tag.seq()))) {
                continue;
            }
            if (a.request().op().readOnly()) {
                stats.add(Counter.READS_TWICE);
            } else if (!a.result().ok() && a.result().text().startsWith("stale retry")) {
                stats.add(Counter.STALE_RETRIES);
            } else {
                stats.add(Counter.DEDUPED_RETRIES);
            }
        }
    }
}
