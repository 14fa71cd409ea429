package lamportkv.check;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lamportkv.core.Operation;

/**
 * A cheap check, independent of the linearizability search: on a counter key, every successful
 * {@code add} returned a different value. Two adds that return the same value both read the same
 * base, which is a lost update.
 *
 * <p>Sound only for a counter: a key set at most once and otherwise only read or increased by
 * adds of positive numbers (then its successful adds return strictly increasing values in the
 * order they took effect). The check refuses any other key rather than raise false alarms.
 */
public final class DistinctAdds {

    private DistinctAdds() {
    }

    public static CheckResult check(List<Entry> history, String counterKey) {
        requireCounter(history, counterKey);
        Map<String, Entry> byResult = new HashMap<>();
        int successes = 0;
        for (Entry e : history) {
            if (!(e.op() instanceof Operation.Add) || !e.op().key().equals(Optional.of(counterKey))
                    || e.result().filter(r -> r.ok()).isEmpty()) {
                continue;
            }
            successes++;
            Entry earlier = byResult.putIfAbsent(e.result().get().text(), e);
            if (earlier != null) {
                return CheckResult.violation("key " + counterKey + ": two adds returned "
                        + e.result().get().text() + " (a lost update):\n    " + earlier.describe()
                        + "\n    " + e.describe());
            }
        }
        return CheckResult.passed("key " + counterKey + ": " + successes + " successful adds, all distinct");
    }

    private static void requireCounter(List<Entry> history, String key) {
        long sets = 0;
        for (Entry e : history) {
            if (!e.op().key().equals(Optional.of(key))) {
                continue;
            }
            Operation op = e.op();
            if (op instanceof Operation.Set) {
                sets++;
            } else if (op instanceof Operation.Add add ? add.operand().signum() <= 0 : !op.readOnly()) {
                throw new IllegalArgumentException("key " + key + " is not a counter: "
                        + e.describe() + " (only gets and adds of positive numbers are allowed)");
            }
        }
        if (sets > 1) {
            throw new IllegalArgumentException("key " + key + " is not a counter: it is set " + sets + " times");
        }
    }
}
