package lamportkv.rmi;

import java.rmi.Remote;
import java.rmi.RemoteException;

/**
 * The peer protocol of a replica, bound under {@link #NAME}: the {@code REQUEST}, {@code OK} and
 * {@code APPLY} messages of the other replicas arrive here, batched per link.
 */
public interface PeerService extends Remote {
    String NAME = "PeerService";

    /**
     * Hands a batch of messages to this replica and waits until it has taken them in.
     *
     * @return the highest link sequence number from {@code batch.from()} this replica now holds;
     *         the sender re-sends everything after it
     */
    long deliver(Batch batch) throws RemoteException;
}
