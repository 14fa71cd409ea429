package lamportkv.replica;

import java.util.List;
import java.util.Objects;

/**
 * Where a replica stands in the views (PROTOCOL.md, "Views"), for {@code status}, the dashboard
 * and the metrics: one value read in one place, so that the three never disagree.
 *
 * @param number    the number of the replica's current view (0: the first view, every configured replica)
 * @param members   that view's members, in id order
 * @param condition "" while this replica is a working member of that view; otherwise why it takes
 *                  no client operations, in a few words ({@code changing views since 14:02:11},
 *                  {@code excluded since 14:02:11; rejoining})
 * @param changes   how many views this replica has installed since it started
 */
public record ViewSummary(long number, List<Integer> members, String condition, long changes) {
    public ViewSummary {
        members = List.copyOf(members);
        Objects.requireNonNull(condition, "condition");
        if (number < 0 || changes < 0) {
            throw new IllegalArgumentException("view " + number + " after " + changes + " changes");
        }
    }

    /** Whether the replica is a working member of its view: it takes client operations. */
    public boolean working() {
        return condition.isEmpty();
    }
}
