package lamportkv.client;

/**
 * An operation of {@link LamportKv} that did not succeed. The subclass says what the program may
 * conclude: {@link OperationFailedException} (ordered, applied, and failed the same way on every
 * replica: nothing changed), {@link NotAppliedException} (certainly not applied, by any attempt:
 * safe to retry as a new operation), {@link OutcomeUnknownException} (it may still be applied).
 * The message is one line, naming the problem and, where known, what to do.
 */
public abstract sealed class KvException extends RuntimeException
        permits OperationFailedException, NotAppliedException, OutcomeUnknownException {
    private static final long serialVersionUID = 1L;

    KvException(String message) {
        super(message, null, false, false);
    }
}
