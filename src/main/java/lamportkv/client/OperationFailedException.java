package lamportkv.client;

/**
 * The operation was ordered and applied, and failed identically on every replica (e.g.
 * {@code not a number: x}, {@code no such key: x}): it changed nothing. Retrying gives the same.
 */
public final class OperationFailedException extends KvException {
    private static final long serialVersionUID = 1L;

    OperationFailedException(String message) {
        super(message);
    }
}
