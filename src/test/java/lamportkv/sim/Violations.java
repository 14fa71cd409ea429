package lamportkv.sim;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What a run's checks found: the first detail and a count per check, so one bug is not a flood.
 * Shared by the simulations; {@code C} is a simulation's enum of checks.
 */
public final class Violations<C extends Enum<C>> {
    private final Map<C, String> first;
    private final Map<C, Integer> count;
    private final Function<C, String> title;

    public Violations(Class<C> checks, Function<C, String> title) {
        this.first = new EnumMap<>(checks);
        this.count = new EnumMap<>(checks);
        this.title = title;
    }

    public void add(C check, String detail) {
        first.putIfAbsent(check, detail);
        count.merge(check, 1, Integer::sum);
    }

    public boolean isEmpty() {
        return first.isEmpty();
    }

    public Set<C> checks() {
        return first.keySet();
    }

    public String describe() {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<C, String> e : first.entrySet()) {
            int n = count.get(e.getKey());
            s.append("\n  [").append(title.apply(e.getKey())).append("]")
                    .append(n > 1 ? " (" + n + " times, the first:)" : "")
                    .append(' ').append(e.getValue().replace("\n", "\n    "));
        }
        return s.toString();
    }
}
