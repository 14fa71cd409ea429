package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * One replica's view of itself and its peers, for {@code status}.
 *
 * @param clients how many clients the replicated client table remembers (for exactly-once retries)
 */
public record ReplicaStatus(int id, String address, long clock, int bufferLength, int unstamped, long applied,
                            String digest, int clients, PeerStatus[] peers) implements Serializable {
    public ReplicaStatus {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(digest, "digest");
        peers = peers.clone();
    }

    @Override
    public PeerStatus[] peers() {
        return peers.clone();
    }
}
