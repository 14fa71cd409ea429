package lamportkv.core;

/**
 * A peer message that the rules cannot accept: it names an unknown request, claims the wrong
 * origin, or repeats one already seen. It is thrown before any state changes, so the replica's
 * state is untouched.
 */
public final class ProtocolViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ProtocolViolation(String message) {
        super(message, null, false, false);
    }
}
