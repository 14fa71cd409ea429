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

    /**
     * Several operations in one call, each as if it came alone in {@link #execute}: checked,
     * ordered and answered one by one, each within its own timeout; the replies in the order
     * given. Answers when every one has its reply. A client process puts the operations its
     * threads send at the same time into one such call (client.CallCombiner).
     *
     * @param commands 1 to {@value #MAX_CALL_COMMANDS} commands as {@link Payloads#encodeCommands}
     *                 lays them out; more, none, or bytes that are not such commands are refused
     *                 with an {@link IllegalArgumentException} naming what is wrong
     */
    Reply[] executeAll(byte[] commands) throws RemoteException;

    /**
     * As {@link #executeAll}, with the replies as {@link Payloads#encodeReplies} lays them out, so
     * that the client's object stream reads no {@link Reply} objects (their class descriptors,
     * looked up again on every call, were a quarter of a one-client bench's CPU). What the client
     * library calls; {@link #executeAll} stays for clients of earlier versions.
     */
    byte[][] executeAllEncoded(byte[] commands) throws RemoteException;

    /** The most operations one {@link #executeAll} call carries. */
    int MAX_CALL_COMMANDS = 64;

    /**
     * A long poll for a watch, outside the order: the words are {@code watch PATTERN FROM MAX}
     * (PATTERN a key or a prefix ending in {@code *}). Answers at once with up to MAX changes at
     * revision FROM or later that this replica applied (and forced), or waits for the first one at
     * most the command's timeout (at most {@value #MAX_POLL_MILLIS} ms) and answers with none.
     */
    WatchReply watch(Command query) throws RemoteException;

    /**
     * A long poll for a lock request, outside the order: the words are {@code standing NAME TOKEN}.
     * Answers {@code OK} with {@code holds EXPIRES_AT_MILLIS}, {@code none} (not holding, not
     * waiting: never granted, released or expired), or, after waiting at most the command's
     * timeout for its turn, {@code waits}.
     */
    Reply lockStanding(Command query) throws RemoteException;

    /** The longest a long poll waits before it answers. */
    long MAX_POLL_MILLIS = 30_000;

    /** An internal event on this replica: its clock + 1. Returns the new clock. */
    long tick() throws RemoteException;

    /** This replica's own state, without going through the protocol. */
    StateHash hash() throws RemoteException;

    ReplicaStatus status() throws RemoteException;
}
