package lamportkv.core;

import java.util.Objects;

/**
 * The three messages replicas send each other. Every message carries the sender's Lamport
 * clock at the send, which the receiver folds into its own.
 */
public sealed interface PeerMessage permits PeerMessage.RequestMsg, PeerMessage.OkMsg, PeerMessage.ApplyMsg {

    /** The sender's clock when it sent this message. */
    long clock();

    /** The request this message is about. */
    RequestId requestId();

    /** {@code REQUEST(r)}, origin to every other replica. Its clock is the request's own stamp. */
    record RequestMsg(Request request) implements PeerMessage {
        public RequestMsg {
            Objects.requireNonNull(request, "request");
        }

        @Override
        public long clock() {
            return request.id().ts();
        }

        @Override
        public RequestId requestId() {
            return request.id();
        }
    }

    /** {@code OK(r)}, every other replica to the origin, sent at once on receiving the request. */
    record OkMsg(RequestId requestId, long clock) implements PeerMessage {
        public OkMsg {
            Objects.requireNonNull(requestId, "requestId");
        }
    }

    /** {@code APPLY(r)}, origin to every other replica after executing {@code r}, with its result. */
    record ApplyMsg(RequestId requestId, long clock, Result result) implements PeerMessage {
        public ApplyMsg {
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(result, "result");
        }
    }
}
