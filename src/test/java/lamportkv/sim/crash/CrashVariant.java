package lamportkv.sim.crash;

import java.util.EnumSet;
import java.util.Set;
import lamportkv.core.Flaw;

/**
 * The crash model as it must be ({@link #CORRECT}), and broken variants that each put one fixed
 * bug back, to show that the checks catch what its fix prevents. Most are {@link Flaw}s of the
 * real {@link lamportkv.core.Node}; the rest are flaws of the client.
 */
enum CrashVariant {
    /** Every rule in place. */
    CORRECT(EnumSet.noneOf(Flaw.class), false, true),
    /** Every rule in place, with a single replica (which executes in the round that stamps: no early answer). */
    CORRECT_ALONE(EnumSet.noneOf(Flaw.class), false, true, 1),
    /** A round hands on its messages and answers without forcing the log: a crash keeps what the OS happened to write. */
    NO_FORCE(EnumSet.of(Flaw.NEVER_FORCE), false, true),
    /** A receiver reports a message durable as soon as it takes it in, before its round's force. */
    ACK_BEFORE_FORCE(EnumSet.of(Flaw.DURABLE_WHEN_HELD), false, true),
    /**
     * A client retries under a new sequence number, so the client table cannot recognise the retry
     * (a stand-in, on the client's side, for a replica that ignores the client table).
     */
    NEW_SEQ_ON_RETRY(EnumSet.noneOf(Flaw.class), false, false),
    /**
     * Bug 1 of the review: a restarted replica treats the records it read back from the page cache
     * as durable and re-sends its backlog before forcing them.
     */
    RESTART_WITHOUT_FORCE(EnumSet.of(Flaw.RESTART_WITHOUT_FORCE), false, true),
    /**
     * Bug 2: the client passes on a definite "not applied" from its last attempt, though an earlier
     * attempt, at another replica, may still apply.
     */
    NOT_APPLIED_FROM_LAST_ATTEMPT(EnumSet.noneOf(Flaw.class), true, true),
    /** Bug 3: requests carry their origin's own wall clock, so a replica whose clock runs ahead expires records early. */
    EXPIRY_BY_ORIGIN_CLOCK(EnumSet.of(Flaw.EXPIRY_BY_ORIGIN_CLOCK), false, true),
    /**
     * The early answer without its condition: every answer leaves before its round's force, also
     * one whose stamping record is not forced yet. Run with a single replica, where an operation
     * executes in the round that stamps it.
     */
    EARLY_ANSWER_UNFORCED_STAMP(EnumSet.of(Flaw.EARLY_ANSWER_UNFORCED_STAMP), false, true, 1),
    /**
     * Every rule in place, with clients that also use cas, rev and locks (short leases that end
     * by the order's time, through the real expiry timer), so that crashes, restarts and
     * snapshots meet revisions, the history and the lock table.
     */
    CORRECT_COORDINATION(EnumSet.noneOf(Flaw.class), false, true, 0, true),
    /** Leases ended by each replica's own clock, outside the order ({@link Flaw#EXPIRE_BY_LOCAL_CLOCK}). */
    EXPIRE_BY_LOCAL_CLOCK(EnumSet.of(Flaw.EXPIRE_BY_LOCAL_CLOCK), false, true, 0, true),
    /**
     * APPLYs kept back past the one round {@link lamportkv.core.ApplyHold} allows: until something
     * else goes to their peer ({@link Flaw#HOLD_APPLIES_UNBOUNDED}).
     */
    HOLD_APPLIES_UNBOUNDED(EnumSet.of(Flaw.HOLD_APPLIES_UNBOUNDED), false, true),
    /**
     * The deferred force without its condition on the answers ({@link Flaw#DEFER_ANY_ANSWER}): a
     * round answers and skips its force though the operation's stamping record is not forced.
     * Run with a single replica, where an operation executes in the round that stamps it.
     */
    DEFER_ANY_ANSWER(EnumSet.of(Flaw.DEFER_ANY_ANSWER), false, true, 1);

    final Set<Flaw> flaws;
    final boolean trustLastAttempt;
    final boolean retrySameSeq;
    /** 0: the seed draws the cluster's size; else this many replicas. */
    final int replicas;
    /** Whether clients use cas, rev and locks too, and the replicas run their expiry timers. */
    final boolean coordination;

    CrashVariant(Set<Flaw> flaws, boolean trustLastAttempt, boolean retrySameSeq) {
        this(flaws, trustLastAttempt, retrySameSeq, 0);
    }

    CrashVariant(Set<Flaw> flaws, boolean trustLastAttempt, boolean retrySameSeq, int replicas) {
        this(flaws, trustLastAttempt, retrySameSeq, replicas, false);
    }

    CrashVariant(Set<Flaw> flaws, boolean trustLastAttempt, boolean retrySameSeq, int replicas, boolean coordination) {
        this.flaws = flaws;
        this.trustLastAttempt = trustLastAttempt;
        this.retrySameSeq = retrySameSeq;
        this.replicas = replicas;
        this.coordination = coordination;
    }
}
