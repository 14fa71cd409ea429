package lamportkv.core;

/**
 * Who asked for an operation: the client's id and its sequence number for it, plus the origin's
 * wall-clock time when it arrived. A retried operation carries the same id and sequence number,
 * so replicas that order it twice apply it once ({@link StateMachine}'s client table).
 *
 * <p>The time is data in the request, not a clock the core reads: every replica sees the same
 * value, so expiring idle clients by it is deterministic. It is not the origin's own wall clock
 * but its estimate of the cluster's time when it stamped the request ({@link ClusterTime}: the
 * lower median of its own clock and the latest clocks its peers reported), so that a replica
 * whose clock runs hours ahead cannot make anyone's record expire early.
 *
 * @param clientId   0 for an anonymous operation that is never deduplicated
 * @param seq        the client's sequence number, increasing per operation
 * @param wallMillis the origin's cluster time when it stamped the operation (epoch ms)
 */
public record ClientTag(long clientId, long seq, long wallMillis) {
    public static final ClientTag NONE = new ClientTag(0, 0, 0);

    public boolean tracked() {
        return clientId != 0;
    }
}
