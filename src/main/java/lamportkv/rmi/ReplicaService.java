package lamportkv.rmi;

import java.rmi.Remote;
import java.rmi.RemoteException;

/**
 * The client operations of a replica, bound under {@link #NAME} in the replica's own registry.
 * Every command except {@code tick}, {@code hash} and {@code status} goes through the ordering
 * protocol, reads included.
 */
public interface ReplicaService extends Remote {
    String NAME = "ReplicaService";

    /** Orders and applies an operation ({@code set}, {@code get}, {@code add}, {@code mult}, {@code del}, {@code keys}). */
    Reply execute(Command command) throws RemoteException;

    /** An internal event on this replica: its clock + 1. Returns the new clock. */
    long tick() throws RemoteException;

    /** This replica's own state, without going through the protocol. */
    StateHash hash() throws RemoteException;

    ReplicaStatus status() throws RemoteException;
}
