package lamportkv.check;

import java.util.Objects;
import java.util.Optional;
import lamportkv.core.Operation;
import lamportkv.core.Result;

/**
 * One client operation as a history sees it: who asked, what, when it was invoked, and when and
 * how it completed. An entry with no result is indeterminate (the client timed out, or never
 * heard back): it may or may not have taken effect, at any time after its invocation.
 *
 * @param process     the client that issued it; a client has at most one operation outstanding
 * @param invokedAt   the time the client sent it, on the history's time source
 * @param completedAt the time the client got its answer, or {@link Long#MAX_VALUE} if unknown
 * @param result      the answer, empty if unknown
 */
public record Entry(int process, Operation op, long invokedAt, long completedAt, Optional<Result> result) {

    /** The completion time of an indeterminate operation: it may take effect at any later time. */
    public static final long UNKNOWN = Long.MAX_VALUE;

    public Entry {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(result, "result");
        if (result.isEmpty() != (completedAt == UNKNOWN)) {
            throw new IllegalArgumentException("an entry has a result exactly when it has a completion time");
        }
        if (completedAt < invokedAt) {
            throw new IllegalArgumentException("completed at " + completedAt + " before invoked at " + invokedAt);
        }
    }

    /** An operation that completed with {@code result}. */
    public static Entry completed(int process, Operation op, long invokedAt, long completedAt, Result result) {
        return new Entry(process, op, invokedAt, completedAt, Optional.of(result));
    }

    /** An operation whose outcome the client never learned. */
    public static Entry unknown(int process, Operation op, long invokedAt) {
        return new Entry(process, op, invokedAt, UNKNOWN, Optional.empty());
    }

    public boolean known() {
        return result.isPresent();
    }

    /** Whether this operation finished before {@code other} started: then it must be ordered first. */
    public boolean precedes(Entry other) {
        return completedAt < other.invokedAt;
    }

    /** One line for explanations: {@code p2 add x 5 -> 6 [10,14]}. */
    public String describe() {
        String outcome = result.map(Entry::render).orElse("?");
        String end = known() ? Long.toString(completedAt) : "never";
        return "p" + process + " " + String.join(" ", op.words()) + " -> " + outcome
                + " [" + invokedAt + "," + end + "]";
    }

    static String render(Result r) {
        return r.ok() ? r.text() : "error: " + r.text();
    }
}
