package lamportkv.core;

/**
 * This replica computed a different result for a request than its origin did: the replicas'
 * data have diverged, a bug or a configuration the replicas disagree on. The state has already
 * changed when this is found, so it is not a refusal ({@link ProtocolViolation}) but an alarm
 * that must stop the replica (fail-stop): continuing would spread the divergence.
 */
public final class Divergence extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Divergence(String message) {
        super(message);
    }
}
