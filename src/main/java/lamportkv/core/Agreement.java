package lamportkv.core;

import java.util.List;
import java.util.TreeSet;

/**
 * What every replica of a cluster must be configured with alike, because the replicated state
 * depends on it: the member ids (which requests need whose OK, which links exist) and how long
 * idle clients are remembered (which retries are recognised). Replicas compare it on every
 * batch and refuse each other when it differs; the log and the snapshots record it, and a
 * restart with a different one is refused.
 *
 * @param members            every replica's id, sorted
 * @param clientExpiryMillis how long the client table keeps an idle client's last result
 */
public record Agreement(List<Integer> members, long clientExpiryMillis) {
    public Agreement {
        members = List.copyOf(new TreeSet<>(members));
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a cluster has at least one replica");
        }
        if (clientExpiryMillis <= 0) {
            throw new IllegalArgumentException("client expiry must be positive: " + clientExpiryMillis);
        }
    }

    /** In the words of {@code replicas.properties}: {@code replicas 1,2,3 and client.expiry.seconds 3600}. */
    public String describe() {
        String expiry = clientExpiryMillis % 1000 == 0
                ? "client.expiry.seconds " + clientExpiryMillis / 1000
                : "a client expiry of " + clientExpiryMillis + " ms";
        return "replicas " + String.join(",", members.stream().map(String::valueOf).toList()) + " and " + expiry;
    }

    /**
     * Refuses to go on under {@code configured} unless it is what {@code recorded} says.
     *
     * @param where what recorded it ("the log", "the snapshot")
     * @throws Mismatch naming both
     */
    public static void require(Agreement recorded, Agreement configured, String where) {
        if (!recorded.equals(configured)) {
            throw new Mismatch(where + " was written with " + recorded.describe() + ", but the configuration says "
                    + configured.describe(), recorded);
        }
    }

    /** Thrown when recorded state or a peer disagrees with this replica's configuration. */
    public static final class Mismatch extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final transient Agreement recorded;

        public Mismatch(String message, Agreement recorded) {
            super(message);
            this.recorded = recorded;
        }

        public Agreement recorded() {
            return recorded;
        }
    }
}
