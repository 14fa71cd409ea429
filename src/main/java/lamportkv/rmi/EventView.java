package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * One event of a replica as its dashboard recorded it, for a peer's dashboard
 * ({@link PeerService#observe}). A send and its receive name the same link and link sequence
 * number: the send at replica {@code i} has {@code peer = j}, the receive at {@code j} has
 * {@code peer = i}, and both carry {@code linkSeq}.
 *
 * @param seq           the event's number at its replica (the observation cursor), from 1
 * @param wallMillis    the replica's wall clock when it happened (epoch ms)
 * @param kind          what happened
 * @param clock         the Lamport clock of the event: the new clock after a tick, the stamp a
 *                      message carries for a send, the clock after a receive; for an apply, the
 *                      clock when it happened (applies do not tick the clock)
 * @param peer          the other end for sends and receives, else 0
 * @param linkSeq       the message's link sequence number for sends and receives, else 0
 * @param requestTs     the stamp of the request the event is about (0 for a tick)
 * @param requestOrigin the origin of that request (0 for a tick)
 * @param op            the operation as typed ({@code add x 5}), where the event knows it; for a
 *                      view event, the change in words ({@code member of view 5 (1 2 3)}); else ""
 * @param result        the result for applies and APPLY messages, else ""
 * @param ok            whether that result is a success
 * @param view          for a view event, the view's number, else 0
 * @param members       for a view event, the view's members, else none
 */
public record EventView(long seq, long wallMillis, Kind kind, long clock, int peer, long linkSeq, long requestTs,
                        int requestOrigin, String op, String result, boolean ok, long view, int[] members)
        implements Serializable {

    /** The members of an event that is not about a view. */
    public static final int[] NO_MEMBERS = new int[0];

    /** What a replica did. */
    public enum Kind {
        /** An internal event (the {@code tick} command). */
        TICK,
        SEND_REQUEST, SEND_OK, SEND_APPLY,
        RECEIVE_REQUEST, RECEIVE_OK, RECEIVE_APPLY,
        /** The origin executed its own request (rule 4), right before sending APPLY. */
        EXECUTE,
        /** A replica applied another replica's request (rule 5). */
        APPLY,
        /**
         * The replica's place in the views changed; its clock is the last event's (a view change
         * does not tick the clock).
         */
        VIEW
    }

    public EventView {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(result, "result");
        members = members.length == 0 ? NO_MEMBERS : members.clone();
    }

    @Override
    public int[] members() {
        return members.clone();
    }
}
