package lamportkv.replica;

import java.util.List;
import lamportkv.core.PeerMessage;
import lamportkv.core.Request;
import lamportkv.core.Result;
import lamportkv.rmi.Reply;

/**
 * Watches what a replica does (the dashboard's events and metrics). Unless a method says
 * otherwise it is called on the replica's event loop, in the order things happen there: return
 * quickly, never block, never call back into the replica.
 */
public interface ReplicaListener {
    /** The replica applied {@code request} to its data, its own or another replica's. */
    void applied(Request request, Result result);

    /** An internal event (the {@code tick} command); {@code clock} is the new clock. */
    default void internalEvent(long clock) {
    }

    /**
     * The replica sent {@code message} to {@code to} as number {@code linkSeq} of that link; its
     * stamp is {@code message.clock()}. A request's REQUEST to each peer shares one stamp: one
     * event, sent to every peer. Re-sends of the same number are not reported.
     */
    default void sent(int to, long linkSeq, PeerMessage message) {
    }

    /**
     * The replica took in message {@code linkSeq} of the link from {@code from}; {@code clock} is
     * its clock right after the receive ({@code max(L, t) + 1}). Reported before anything the
     * message caused (its OK, the applies it released). Duplicates and refused messages are not.
     */
    default void received(int from, long linkSeq, PeerMessage message, long clock) {
    }

    /** A batch of {@code bytes} encoded bytes arrived from {@code from} (re-sends and heartbeats too). */
    default void batchReceived(int from, int bytes) {
    }

    /**
     * The replica's place in the views changed: it installed a view, was excluded from one, or
     * started changing views (PROTOCOL.md, "Views"). Reported by the view protocol as it happens,
     * one call per change.
     *
     * @param viewNumber the view the change is about (the one installed, left, or proposed)
     * @param members    that view's members, in id order
     * @param what       the change in a few words, e.g. {@code member of view 5 (1 2 3)},
     *                   {@code excluded from view 4 (members 1 2); rejoining},
     *                   {@code changing views: proposing view 5}
     */
    default void viewEvent(long viewNumber, List<Integer> members, String what) {
    }

    /** The log was forced at the end of a round, taking {@code nanos}. */
    default void forced(long nanos) {
    }

    /**
     * A client command was answered after {@code nanos}. Called on the client's thread (an RMI
     * handler), not on the loop: must be thread-safe.
     *
     * @param verb the command's first word as the client sent it (any text)
     */
    default void answered(String verb, Reply.Status status, long nanos) {
    }
}
