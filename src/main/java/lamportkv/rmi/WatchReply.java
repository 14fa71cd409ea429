package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * A replica's answer to {@link ReplicaService#watch}: the changes asked for, in revision order,
 * and the revision to ask from next. Every change before {@code next} that matches the watch was
 * in this reply or an earlier one, so a watch that goes on from {@code next} — at this replica or
 * any other — misses nothing and sees nothing twice.
 *
 * @param status  {@code OK}; {@code REFUSED} for a bad query or a revision no longer kept (the
 *                text names the oldest kept); {@code UNAVAILABLE} if this replica is not serving
 *                (ask another)
 * @param text    empty on {@code OK}, else why
 * @param changes the changes, oldest first (none if the wait ran out)
 * @param next    the revision to ask from next
 */
public record WatchReply(Reply.Status status, String text, ChangeView[] changes, long next) implements Serializable {
    public WatchReply {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(text, "text");
        changes = changes.clone();
    }

    @Override
    public ChangeView[] changes() {
        return changes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WatchReply w && w.status == status && w.text.equals(text) && w.next == next
                && java.util.Arrays.equals(w.changes, changes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, text, next, java.util.Arrays.hashCode(changes));
    }
}
