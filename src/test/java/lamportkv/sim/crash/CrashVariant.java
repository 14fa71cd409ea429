package lamportkv.sim.crash;

/**
 * The crash model as it must be ({@link #CORRECT}), and test-only broken variants that each drop
 * one rule, to show that the checks catch what that rule prevents.
 */
enum CrashVariant {
    /** Commit forces the journal; receivers confirm only committed numbers; a retry keeps its client id and seq. */
    CORRECT(true, true, true),
    /** A commit releases the round's outputs without forcing the journal: a crash keeps what the OS happened to write. */
    NO_FORCE(false, true, true),
    /** A receiver confirms a message as soon as it takes it in, before its commit has forced it. */
    ACK_BEFORE_FORCE(true, false, true),
    /**
     * A client retries under a new sequence number, so the client table cannot recognise the retry
     * (a stand-in, on the client's side, for a replica that ignores the client table).
     */
    NEW_SEQ_ON_RETRY(true, true, false);

    final boolean forceOnCommit;
    final boolean confirmOnlyCommitted;
    final boolean retrySameSeq;

    CrashVariant(boolean forceOnCommit, boolean confirmOnlyCommitted, boolean retrySameSeq) {
        this.forceOnCommit = forceOnCommit;
        this.confirmOnlyCommitted = confirmOnlyCommitted;
        this.retrySameSeq = retrySameSeq;
    }
}
