package lamportkv.replica;

import lamportkv.core.Request;
import lamportkv.core.Result;

/**
 * Watches what a replica does. Called on the replica's event loop: return quickly, never block,
 * never call back into the replica.
 */
public interface ReplicaListener {
    /** The replica applied {@code request} to its data, its own or another replica's. */
    void applied(Request request, Result result);
}
