package lamportkv.rmi;

import java.io.Serializable;

/**
 * What a replica knows of one peer.
 *
 * @param unreachableSinceMillis wall-clock time (epoch ms) the peer last became unreachable; 0 if reachable
 * @param waiting                this replica's pending requests that wait for this peer
 */
public record PeerStatus(int id, String address, boolean reachable, long unreachableSinceMillis, int waiting)
        implements Serializable {
}
