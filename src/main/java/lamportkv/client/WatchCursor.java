package lamportkv.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lamportkv.rmi.ChangeView;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.WatchReply;

/**
 * Where a watch is: the next revision it needs, and the replica it reads from. Each
 * {@link #poll} asks that replica for the changes from there on ({@code ReplicaService.watch}, a
 * long poll) and moves {@link #next()} past what the answer covered, so nothing is delivered
 * twice and nothing is skipped; if the replica fails or is not serving, the next poll asks the
 * next replica from the same revision. Used by one thread at a time.
 */
final class WatchCursor {
    /** The most changes one poll asks for. */
    static final int PAGE = 1_000;
    private static final long PAUSE_MILLIS = 100;

    private final Connection connection;
    private final String pattern;
    private long next;
    /** Replicas in a row that no longer keep {@link #next}: when all say so, the watch cannot go on. */
    private int tooOld;

    WatchCursor(Connection connection, String pattern, long from) {
        this.connection = connection;
        this.pattern = pattern;
        this.next = from;
    }

    /** The revision the next change delivered will be at, or after. */
    long next() {
        return next;
    }

    /**
     * The changes from {@link #next()} on, waiting at most {@code waitMillis} for the first;
     * empty if none came (or the replica failed: the next poll asks another).
     *
     * @throws NotAppliedException if every replica says the revision is no longer kept
     * @throws InterruptedException if the caller was interrupted
     */
    List<Change> poll(long waitMillis) throws InterruptedException {
        Command query = Command.of(0, 0, List.of("watch", pattern, String.valueOf(next), String.valueOf(PAGE)),
                Math.max(1, waitMillis));
        WatchReply reply;
        try {
            reply = connection.poll("watch " + pattern, s -> s.watch(query), waitMillis + Connection.ANSWER_GRACE_MILLIS);
        } catch (CommandFailure e) {
            Thread.sleep(PAUSE_MILLIS);
            return List.of();
        }
        if (reply.status() == Reply.Status.REFUSED) {
            if (++tooOld >= connection.candidates()) {
                throw new NotAppliedException(reply.text());
            }
            connection.moveOn();
            return List.of();
        }
        if (reply.status() != Reply.Status.OK) {
            connection.moveOn();
            Thread.sleep(PAUSE_MILLIS);
            return List.of();
        }
        tooOld = 0;
        List<Change> changes = new ArrayList<>();
        for (ChangeView c : reply.changes()) {
            if (c.revision() < next) {
                throw new IllegalStateException("replica answered a watch from " + next + " with a change at "
                        + c.revision());
            }
            next = c.revision() + 1;
            changes.add(new Change(c.revision(), c.key(), c.deleted() ? Optional.empty() : Optional.of(c.value())));
        }
        next = Math.max(next, reply.next());
        return changes;
    }
}
