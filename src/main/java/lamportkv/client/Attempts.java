package lamportkv.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import lamportkv.rmi.Reply;

/**
 * The attempts at one tagged operation (one client id and sequence number), and what they allow
 * the client to conclude. Pure: no I/O, clock or threads; the caller makes the attempts and feeds
 * in what each one got, in order.
 *
 * <p>The rule: the operation was applied if an attempt was answered {@code OK} or {@code FAILED};
 * otherwise it <em>may still be applied</em> if any attempt may have been: one that got no answer
 * after it may have reached its replica, or was answered {@code ABANDONED} or {@code TIMEOUT};
 * otherwise it was not applied: every attempt was certainly never taken (not reached, or
 * answered {@code UNAVAILABLE}, {@code REFUSED} or {@code NOT_APPLIED}). A definite "not applied"
 * from the replica that answered last speaks for that attempt only: an earlier copy of the same
 * tag, sent elsewhere, may still be ordered.
 *
 * <p>One instance per operation, used by one thread.
 */
public final class Attempts {

    /** What the client may tell its user about the operation as a whole. */
    public enum Verdict {
        /** Applied once; the answer is its result (an error for {@code FAILED}). */
        APPLIED,
        /** Certainly not applied, by any attempt. */
        NOT_APPLIED,
        /** Not known: some attempt may have been taken and may still be applied. */
        MAY_BE_APPLIED
    }

    /** What one attempt says about the operation. */
    private enum Kind { NOT_TAKEN, APPLIED, UNKNOWN }

    /** @param where the replica, as the user should read it; {@code what} says how it may have applied */
    private record Attempt(String where, Kind kind, String what) {
    }

    private final boolean trustLastAttempt;
    private final List<Attempt> attempts = new ArrayList<>();

    /** Attempts judged by the rule: every attempt counts. */
    public Attempts() {
        this(false);
    }

    private Attempts(boolean trustLastAttempt) {
        this.trustLastAttempt = trustLastAttempt;
    }

    /**
     * Only for tests (e.g. the crash simulation's broken variants): a flawed judge whose verdict
     * looks at the last attempt only, so that after a failover a definite "not applied" from the
     * second replica is passed on even though the first attempt may still apply.
     */
    public static Attempts trustingLastAttempt() {
        return new Attempts(true);
    }

    /**
     * Records an attempt that {@code where} answered with {@code status}.
     *
     * @return whether to send the same command to another replica ({@link Reply.Status#retryElsewhere()})
     */
    public boolean retryAfter(String where, Reply.Status status) {
        Objects.requireNonNull(status, "status");
        Kind kind = status.applied() ? Kind.APPLIED : status.definite() ? Kind.NOT_TAKEN : Kind.UNKNOWN;
        String what = switch (status) {
            case ABANDONED -> "was taken there but never answered";
            case TIMEOUT -> "timed out there after it was stamped";
            default -> "was answered " + status;
        };
        record(new Attempt(where, kind, what));
        return status.retryElsewhere();
    }

    /**
     * Records an attempt at {@code where} that got no answer.
     *
     * @param mayHaveReached false only if the call certainly never reached a replica's operation
     *                       (connection refused, unknown host, nothing bound, no such object)
     */
    public void noReply(String where, boolean mayHaveReached) {
        record(new Attempt(where, mayHaveReached ? Kind.UNKNOWN : Kind.NOT_TAKEN, "got no answer"));
    }

    private void record(Attempt attempt) {
        Objects.requireNonNull(attempt.where(), "where");
        if (trustLastAttempt) {
            attempts.clear();
        }
        attempts.add(attempt);
    }

    /** How many attempts were recorded. */
    public int count() {
        return attempts.size();
    }

    /**
     * What the attempts so far allow the client to say: after a final answer, or when the time ran
     * out with none ({@code NOT_APPLIED} then only if no attempt may have reached a replica and
     * been taken). With no attempt at all, {@code NOT_APPLIED}.
     */
    public Verdict verdict() {
        boolean unknown = false;
        for (Attempt a : attempts) {
            if (a.kind() == Kind.APPLIED) {
                return Verdict.APPLIED;
            }
            unknown |= a.kind() == Kind.UNKNOWN;
        }
        return unknown ? Verdict.MAY_BE_APPLIED : Verdict.NOT_APPLIED;
    }

    /** How a message about an operation that may still be applied ends. */
    public static final String MAY_STILL_BE_APPLIED = "; the operation may still be applied";

    /**
     * The words a failure message about the operation ends with: {@code ifNotApplied} if no attempt
     * may have applied it ({@link Verdict#NOT_APPLIED}), else {@link #MAY_STILL_BE_APPLIED} and,
     * where an earlier attempt keeps it open, which one ({@link #describeUncertainty()}).
     */
    public String verdictWords(String ifNotApplied) {
        if (verdict() == Verdict.NOT_APPLIED) {
            return ifNotApplied;
        }
        return MAY_STILL_BE_APPLIED + describeUncertainty().map(u -> " (" + u + ")").orElse("");
    }

    /**
     * Names the first attempt before the last whose outcome is unknown, for the message that gives
     * a {@link Verdict#MAY_BE_APPLIED} after a last answer that was itself definite, e.g. {@code an
     * earlier attempt, at replica 2 (127.0.0.1:7102), got no answer}. Empty if there is none.
     */
    public Optional<String> describeUncertainty() {
        List<Attempt> earlier = attempts.subList(0, Math.max(0, attempts.size() - 1));
        List<Attempt> unknown = earlier.stream().filter(a -> a.kind() == Kind.UNKNOWN).toList();
        if (unknown.isEmpty()) {
            return Optional.empty();
        }
        Attempt first = unknown.get(0);
        String more = unknown.size() == 1 ? ""
                : " (and " + (unknown.size() - 1) + " more with no known outcome)";
        return Optional.of("an earlier attempt, at " + first.where() + ", " + first.what() + more);
    }
}
