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

    /**
     * For the dashboards: this replica's state and its recorded events numbered above
     * {@code afterEvent} (-1: the newest few). Read-only, and it tells no more than {@code status},
     * {@code keys} and {@code get} tell any client, so it asks for no secret.
     *
     * @throws IllegalStateException if this replica records no events (no replica of its configuration serves a dashboard)
     */
    Observation observe(long afterEvent) throws RemoteException;
}
