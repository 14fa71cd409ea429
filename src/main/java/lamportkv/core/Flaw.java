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
    EXPIRY_BY_ORIGIN_CLOCK
}
