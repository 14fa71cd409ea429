package lamportkv.rmi;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * A replica's state as its dashboard shows it, bounded in size: the clock, the head of the buffer,
 * the first keys of the data and what the replica knows of its peers.
 *
 * @param bufferLength      requests in the buffer; {@code buffer} holds the first of them, in order
 * @param unstamped         client operations queued behind the replica's own requests, not stamped yet
 * @param digest            the data's digest ({@code hash}): equal on replicas with equal data
 * @param keyCount          keys in the data; {@code keys} and {@code values} hold the first of them,
 *                          sorted, values shortened for display
 * @param deliveryDelayMillis the slow-motion delay of each incoming batch, 0 when off
 * @param view              the replica's view, as its {@code status} gives it
 * @param lockCount         locks held; {@code locks} holds the first of them, by name
 */
public record ReplicaView(int id, String address, long clock, int bufferLength, int unstamped, Pending[] buffer,
                          long applied,
                          String digest, int keyCount, String[] keys, String[] values, PeerStatus[] peers,
                          long deliveryDelayMillis, View view, int lockCount, Lock[] locks) implements Serializable {

    /**
     * The replica's view (see {@link ReplicaStatus}).
     *
     * @param condition "" while the replica is a working member, else why not, shortened for display
     * @param changes   views the replica installed since it started
     */
    public record View(long number, int[] members, String condition, long changes) implements Serializable {
        public View {
            Objects.requireNonNull(condition, "condition");
            members = members.clone();
        }

        /** The view as {@code status} reports it. */
        public static View of(ReplicaStatus s) {
            return new View(s.viewNumber(), s.viewMembers(), s.viewCondition(), s.viewChanges());
        }

        @Override
        public int[] members() {
            return members.clone();
        }

        // Compared by content: the dashboard tells pages only about replicas whose picture changed.
        @Override
        public boolean equals(Object o) {
            return o instanceof View v && v.number == number && Arrays.equals(v.members, members)
                    && v.condition.equals(condition) && v.changes == changes;
        }

        @Override
        public int hashCode() {
            return Objects.hash(number, Arrays.hashCode(members), condition, changes);
        }
    }

    /**
     * A request in the buffer.
     *
     * @param oks      at its origin, the OKs it holds; elsewhere 0
     * @param released elsewhere, whether its origin sent APPLY for it (it waits to head the buffer)
     */
    public record Pending(long ts, int origin, String op, int oks, boolean released) implements Serializable {
        public Pending {
            Objects.requireNonNull(op, "op");
        }
    }

    /**
     * A held lock, as the replica's lock table has it.
     *
     * @param name            shortened for display
     * @param token           its holder's fencing token
     * @param expiresAtMillis when the holder's lease ends unless renewed, in the order's time (epoch ms)
     * @param waiting         requests in line for it
     */
    public record Lock(String name, long token, long expiresAtMillis, int waiting) implements Serializable {
        public Lock {
            Objects.requireNonNull(name, "name");
        }
    }

    public ReplicaView {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(view, "view");
        buffer = buffer.clone();
        keys = keys.clone();
        values = values.clone();
        peers = peers.clone();
        locks = locks.clone();
        if (keys.length != values.length) {
            throw new IllegalArgumentException(keys.length + " keys but " + values.length + " values");
        }
    }

    @Override
    public Pending[] buffer() {
        return buffer.clone();
    }

    @Override
    public String[] keys() {
        return keys.clone();
    }

    @Override
    public String[] values() {
        return values.clone();
    }

    @Override
    public PeerStatus[] peers() {
        return peers.clone();
    }

    @Override
    public Lock[] locks() {
        return locks.clone();
    }
}
