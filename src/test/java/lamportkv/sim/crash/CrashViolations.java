package lamportkv.sim.crash;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/** What a run's checks found: the first detail and a count per check, so one bug is not a flood. */
final class CrashViolations {
    private final Map<CrashCheck, String> first = new EnumMap<>(CrashCheck.class);
    private final Map<CrashCheck, Integer> count = new EnumMap<>(CrashCheck.class);

    void add(CrashCheck check, String detail) {
        first.putIfAbsent(check, detail);
        count.merge(check, 1, Integer::sum);
    }

    boolean isEmpty() {
        return first.isEmpty();
    }

    Set<CrashCheck> checks() {
        return first.keySet();
    }

    String describe() {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<CrashCheck, String> e : first.entrySet()) {
            int n = count.get(e.getKey());
            s.append("\n  [").append(e.getKey().title()).append("]")
                    .append(n > 1 ? " (" + n + " times, the first:)" : "")
                    .append(' ').append(e.getValue().replace("\n", "\n    "));
        }
        return s.toString();
    }
}
