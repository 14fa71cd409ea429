package lamportkv.client;

/**
 * The operation was certainly not applied, by any attempt: every replica tried refused it or was
 * never reached, or a replica took it back before stamping it when its time ran out. Sending it
 * again is a new operation.
 */
public final class NotAppliedException extends KvException {
    private static final long serialVersionUID = 1L;

    NotAppliedException(String message) {
        super(message);
    }
}
