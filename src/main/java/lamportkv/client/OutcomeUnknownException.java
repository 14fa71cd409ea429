package lamportkv.client;

/**
 * The time ran out and some attempt may have reached a replica that ordered it: the operation may
 * still be applied (at most once). Read the state to find out, or use {@code cas} to make a retry
 * safe.
 */
public final class OutcomeUnknownException extends KvException {
    private static final long serialVersionUID = 1L;

    OutcomeUnknownException(String message) {
        super(message);
    }
}
