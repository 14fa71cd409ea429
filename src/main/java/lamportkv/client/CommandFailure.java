package lamportkv.client;

/**
 * A command that did not succeed. The message is one line for the user, printed after {@code error: };
 * the verdict says what the client may conclude about the operation as a whole.
 */
final class CommandFailure extends Exception {
    private static final long serialVersionUID = 1L;
    private final Attempts.Verdict verdict;

    CommandFailure(String message) {
        this(message, Attempts.Verdict.NOT_APPLIED);
    }

    CommandFailure(String message, Attempts.Verdict verdict) {
        super(message, null, false, false);
        this.verdict = verdict;
    }

    Attempts.Verdict verdict() {
        return verdict;
    }
}
