package lamportkv.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import lamportkv.core.Operation;
import lamportkv.core.Result;
import lamportkv.core.Value;

/**
 * Checks that a history is linearizable, one key at a time (linearizability is compositional, so
 * per-key checks add up to the whole map, for operations that touch one key). The search is
 * Wing &amp; Gong's, with Lowe's memoization: a configuration is the set of operations linearized
 * so far plus the model's state, and a configuration seen once is never explored again.
 *
 * <p>The model is the real thing: each operation's own {@link Operation#apply} on a map that holds
 * at most the key under check. An observed result, failures included ({@code no such key: x}),
 * must equal the model's exactly. An operation with an unknown result may take effect at any
 * point after its invocation, or never. {@code keys} touches no single key and is skipped, and so
 * are {@code rev} and the lock operations, which read or change no key's value; {@code cas} is
 * checked like any other write.
 */
public final class LinearizabilityChecker {

    /** Search steps per key before giving up as inconclusive; far above what the tests need. */
    public static final long DEFAULT_STEP_BUDGET = 2_000_000;

    private LinearizabilityChecker() {
    }

    public static CheckResult check(List<Entry> history) {
        return check(history, DEFAULT_STEP_BUDGET);
    }

    /** The search recurses once per operation linearized: long histories need a deep stack. */
    private static final long SEARCH_STACK_BYTES = 1L << 30;

    private static CheckResult onLargeStack(KeySearch search) {
        CheckResult[] result = new CheckResult[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = search.run();
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "linearizability-search", SEARCH_STACK_BYTES);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return result[0];
    }

    /** Checks every key; a violation on any key wins over an inconclusive search on another. */
    public static CheckResult check(List<Entry> history, long stepBudget) {
        Map<String, List<Entry>> byKey = new TreeMap<>();
        for (Entry e : history) {
            if (e.op() instanceof Operation.OnData) {        // rev and the locks are not operations on a key's value
                e.op().key().ifPresent(k -> byKey.computeIfAbsent(k, x -> new ArrayList<>()).add(e));
            }
        }
        List<String> inconclusive = new ArrayList<>();
        for (Map.Entry<String, List<Entry>> k : byKey.entrySet()) {
            CheckResult r = onLargeStack(new KeySearch(k.getKey(), k.getValue(), stepBudget));
            if (r.verdict() == CheckResult.Verdict.VIOLATION) {
                return r;
            }
            if (r.verdict() == CheckResult.Verdict.INCONCLUSIVE) {
                inconclusive.add(r.explanation());
            }
        }
        if (!inconclusive.isEmpty()) {
            return CheckResult.inconclusive(String.join("\n", inconclusive));
        }
        return CheckResult.passed(byKey.size() + " keys, " + history.size() + " operations: linearizable");
    }

    private static Operation.OnData data(Entry e) {
        return (Operation.OnData) e.op();
    }

    /** The search over one key's operations. */
    private static final class KeySearch {
        private final String key;
        /** Sorted by invocation, so the operations that may go next are a prefix of the rest. */
        private final Entry[] ops;
        private final int knownCount;
        private final long budget;
        private final Set<Config> seen = new HashSet<>();
        private final int[] path;
        private long steps;
        private int[] deepest = new int[0];

        /** A point in the search: which operations are linearized, and the key's value after them. */
        private record Config(BitSet linearized, Optional<Value> value) {
        }

        private static final class BudgetExceeded extends RuntimeException {
            private static final long serialVersionUID = 1L;

            BudgetExceeded() {
                super(null, null, false, false);
            }
        }

        KeySearch(String key, List<Entry> entries, long budget) {
            this.key = key;
            // A read whose answer never came cannot constrain anything: leave it out.
            this.ops = entries.stream()
                    .filter(e -> e.known() || !e.op().readOnly())
                    .sorted(Comparator.comparingLong(Entry::invokedAt))
                    .toArray(Entry[]::new);
            this.knownCount = (int) entries.stream().filter(Entry::known).count();
            this.budget = budget;
            this.path = new int[ops.length];
        }

        CheckResult run() {
            try {
                if (search(new BitSet(ops.length), Optional.empty(), 0, 0)) {
                    return CheckResult.passed("key " + key + ": linearizable");
                }
                return CheckResult.violation(explainFailure());
            } catch (BudgetExceeded e) {
                return CheckResult.inconclusive("key " + key + ": search gave up after " + budget
                        + " steps over " + ops.length + " operations; neither proved nor refuted");
            }
        }

        /**
         * Depth-first: try each operation that may go next (no unlinearized operation completed
         * before it was invoked) whose model result matches what its client saw.
         */
        private boolean search(BitSet done, Optional<Value> value, int depth, int knownDone) {
            if (knownDone == knownCount) {
                return true;           // the indeterminate rest may simply never have happened
            }
            if (!seen.add(new Config((BitSet) done.clone(), value))) {
                return false;
            }
            if (++steps > budget) {
                throw new BudgetExceeded();
            }
            if (depth > deepest.length) {
                deepest = Arrays.copyOf(path, depth);
            }
            long horizon = horizon(done);
            for (int i = done.nextClearBit(0); i < ops.length && ops[i].invokedAt() <= horizon;
                 i = done.nextClearBit(i + 1)) {
                TreeMap<String, Value> model = modelOf(value);
                Result r = data(ops[i]).apply(model);
                if (ops[i].result().isPresent() && !ops[i].result().get().equals(r)) {
                    continue;
                }
                done.set(i);
                path[depth] = i;
                boolean found = search(done, Optional.ofNullable(model.get(key)), depth + 1,
                        knownDone + (ops[i].known() ? 1 : 0));
                done.clear(i);
                if (found) {
                    return true;
                }
            }
            return false;
        }

        /** The earliest completion among unlinearized operations: nothing invoked after it may go next. */
        private long horizon(BitSet done) {
            long horizon = Entry.UNKNOWN;
            for (int i = done.nextClearBit(0); i < ops.length; i = done.nextClearBit(i + 1)) {
                horizon = Math.min(horizon, ops[i].completedAt());
            }
            return horizon;
        }

        private TreeMap<String, Value> modelOf(Optional<Value> value) {
            TreeMap<String, Value> model = new TreeMap<>();
            value.ifPresent(v -> model.put(key, v));
            return model;
        }

        /** Describes the deepest point the search reached and why no operation could follow it. */
        private String explainFailure() {
            StringBuilder s = new StringBuilder("key ").append(key).append(" is not linearizable (")
                    .append(ops.length).append(" operations). The longest linearizable prefix orders ")
                    .append(deepest.length).append(':');
            BitSet done = new BitSet(ops.length);
            TreeMap<String, Value> model = new TreeMap<>();
            for (int i : deepest) {
                s.append("\n    ").append(ops[i].describe());
                data(ops[i]).apply(model);
                done.set(i);
            }
            if (deepest.length == 0) {
                s.append(" none");
            }
            Value v = model.get(key);
            s.append("\n  leaving ").append(key).append(" = ").append(v == null ? Operation.Get.NIL : v.render())
                    .append(", and no operation that may go next fits:");
            long horizon = horizon(done);
            for (int i = done.nextClearBit(0); i < ops.length && ops[i].invokedAt() <= horizon;
                 i = done.nextClearBit(i + 1)) {
                Result expected = data(ops[i]).apply(modelOf(Optional.ofNullable(v)));
                s.append("\n    ").append(ops[i].describe()).append(", but here it would return ")
                        .append(Entry.render(expected));
            }
            int rest = ops.length - done.cardinality();
            s.append("\n  (").append(rest).append(rest == 1 ? " operation" : " operations").append(" on ").append(key)
                    .append(" left unordered)");
            return s.toString();
        }
    }
}
