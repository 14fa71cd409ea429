package lamportkv.core;

/**
 * A user's mistake in an operation: a bad key, a number that does not parse, a result too large.
 * The message is one line meant for the user and names the bad input.
 */
public final class OperationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OperationException(String message) {
        super(message, null, false, false);
    }
}
