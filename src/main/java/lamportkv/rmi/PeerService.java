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
     * Hands a batch of messages to this replica and waits until it has taken them in (not always
     * until they are on its disk: see {@link Ack}).
     *
     * @param batch a {@link Batch} as {@link Payloads#encodeBatch} lays it out
     * @return how far this replica holds the link from the batch's sender, and how far durably,
     *         with the messages of this replica's own link to the sender that waited when it
     *         answered ({@link Ack#back}): an {@link Ack} as {@link Payloads#encodeAck} lays it out
     * @throws IllegalArgumentException if the bytes are not such a batch (named in the message)
     */
    byte[] deliver(byte[] batch) throws RemoteException;

    /**
     * For the dashboards: this replica's state and its recorded events numbered above
     * {@code afterEvent} (-1: the newest few). Read-only, and it tells no more than {@code status},
     * {@code keys} and {@code get} tell any client, so it asks for no secret.
     *
     * @throws IllegalStateException if this replica records no events (no replica of its configuration serves a dashboard)
     */
    Observation observe(long afterEvent) throws RemoteException;
}
