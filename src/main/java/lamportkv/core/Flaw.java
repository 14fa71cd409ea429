package lamportkv.core;

/**
 * Bugs that were found and fixed, kept as switches so that tests can put each one back and show
 * that the checks catch it (the crash simulation's variants). A running replica never has any:
 * {@link Node} is built with an empty set everywhere but in tests.
 */
public enum Flaw {
    /** A round hands on its messages and answers without forcing the log. */
    NEVER_FORCE,
    /** A receiver reports every message it has taken in as durable, before its round's force. */
    DURABLE_WHEN_HELD,
    /**
     * Bug 1 of the review: a restarted replica treats the records it replayed as durable and
     * re-sends its backlog before any force, though they may exist only in the page cache.
     */
    RESTART_WITHOUT_FORCE,
    /**
     * Bug 3 of the review: requests carry the origin's own wall clock, so one replica whose clock
     * runs ahead makes everyone's client records expire early.
     */
    EXPIRY_BY_ORIGIN_CLOCK,
    /** Rule V4 broken: the flush keeps only the requests every report holds, not the union. */
    FLUSH_BY_INTERSECTION,
    /** Rule V2 broken: a proposer chooses a view with the promises and accepts of fewer than a majority. */
    MINORITY_VIEW,
    /** Rule V3 broken: an acceptor promises but goes on ordering in its view. */
    NO_STOP_ON_PROMISE,
    /** Acceptor state not durable: a restarted replica forgets what it promised and accepted. */
    FORGET_PROMISE_ON_RESTART,
    /** Rule V6 broken: a replica that started on an empty disk votes at once, before it is added again. */
    WIPED_REPLICA_VOTES,
    /**
     * The early answer stretched too far: every answer goes out before its round's force, also one
     * whose own stamping record is not forced yet (a replica alone executes in the stamping round).
     */
    EARLY_ANSWER_UNFORCED_STAMP,
    /**
     * Leases ended outside the order: each replica's expiry timer lets go of the locks whose lease
     * its own estimate of the time says has ended, instead of writing an {@link Operation.Expire}
     * that every replica applies at the same position.
     */
    EXPIRE_BY_LOCAL_CLOCK,
    /**
     * {@link ApplyHold} without its bound: APPLYs once kept back wait until something else goes
     * to their peer, however many rounds that takes (after the last operation: for ever).
     */
    HOLD_APPLIES_UNBOUNDED,
    /**
     * The deferred force ({@code Node.deferrable}) without its condition on the answers: a round
     * that answers any operation, also one whose stamping record is not forced yet, skips its
     * force when nothing else but APPLYs would leave.
     */
    DEFER_ANY_ANSWER
}
