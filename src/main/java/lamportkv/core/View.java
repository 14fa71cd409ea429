package lamportkv.core;

import java.util.List;
import java.util.TreeSet;

/**
 * A view {@code (n, M)}: which replicas take part in ordering, numbered. View 0 is every configured
 * replica; each later view is chosen by agreement among the configured replicas (PROTOCOL.md,
 * "Views") and holds a majority of them. Inside a view the ordering rules run unchanged among its
 * members.
 *
 * @param number  the view's number; a replica's only grows
 * @param members the members' ids, sorted
 */
public record View(long number, List<Integer> members) {
    public View {
        if (number < 0) {
            throw new IllegalArgumentException("view numbers start at 0: " + number);
        }
        members = List.copyOf(new TreeSet<>(members));
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a view has at least one member");
        }
    }

    /** View 0: every configured replica. */
    public static View first(List<Integer> configured) {
        return new View(0, configured);
    }

    public boolean has(int replica) {
        return members.contains(replica);
    }

    /** How many replicas of {@code configured} make a majority: {@code floor(|C|/2) + 1}. */
    public static int majority(int configured) {
        return configured / 2 + 1;
    }

    /** {@code view 5 (1 2 3)}. */
    @Override
    public String toString() {
        return "view " + number + " (" + String.join(" ", members.stream().map(String::valueOf).toList()) + ")";
    }

    /** {@code 1 2 3}. */
    public String memberList() {
        return String.join(" ", members.stream().map(String::valueOf).toList());
    }
}
