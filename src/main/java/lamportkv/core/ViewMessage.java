package lamportkv.core;

import java.util.Optional;

/**
 * The messages of choosing and joining views (PROTOCOL.md, "Views"). Unlike the ordering
 * messages ({@link PeerMessage}) they need no FIFO link: each one may be lost, repeated or
 * reordered, and is sent again while it matters. Single-decree Paxos per view number: a proposer's
 * {@link Prepare} asks acceptors to stop and report ({@link Promise}), its {@link Accept} proposes
 * a {@link Decision}, and a majority of {@link Accepted} chooses it ({@link Decided}).
 */
public sealed interface ViewMessage {

    /** Phase 1a: "stop ordering in view {@code slot - 1} and report, for ballot {@code ballot}". */
    record Prepare(long slot, Ballot ballot) implements ViewMessage {
    }

    /**
     * Phase 1b: the acceptor stopped (durably), promises to accept no lower ballot for {@code slot},
     * says what it accepted there before, if anything, and reports its state.
     */
    record Promise(long slot, Ballot ballot, Optional<Prior> accepted, Report report) implements ViewMessage {
    }

    /** What an acceptor accepted for a view number before, under which ballot. */
    record Prior(Ballot ballot, Decision value) {
    }

    /** Phase 2a: "accept {@code value} for view {@code slot} under {@code ballot}". */
    record Accept(long slot, Ballot ballot, Decision value) implements ViewMessage {
    }

    /** Phase 2b: the acceptor accepted (durably) the value of {@code ballot}. */
    record Accepted(long slot, Ballot ballot) implements ViewMessage {
    }

    /** The acceptor has promised {@code promised}, above the ballot it was asked for: the proposer gives way. */
    record Refused(long slot, Ballot promised) implements ViewMessage {
    }

    /** A view was chosen: install it, or learn that you are not (or not yet) part of it. */
    record Decided(Decision decision) implements ViewMessage {
    }

    /** "Add me": the sender is outside its view {@code viewNumber}, or in it without the state. */
    record Join(long viewNumber, long incarnation) implements ViewMessage {
    }

    /** A replica that started on an empty disk asks whether the cluster is brand new. */
    record Probe(long incarnation) implements ViewMessage {
    }

    /**
     * The answer to a {@link Probe}: {@code brandNew} if this replica has never heard of the asker
     * and no view change ever started here, or if the asker's incarnation is one that helped found
     * the cluster and has not voted yet; otherwise the current view's decision.
     *
     * @param incarnation the answering replica's incarnation
     */
    record ProbeReply(boolean brandNew, long incarnation, Decision current) implements ViewMessage {
    }

    /** A joiner asks for the state at the start of view {@code viewNumber}, from chunk {@code chunk}. */
    record StateRequest(long viewNumber, int chunk) implements ViewMessage {
    }

    /** One chunk of the state at the start of view {@code viewNumber}: chunk {@code index} of {@code count}. */
    record StateChunk(long viewNumber, int index, int count, byte[] bytes) implements ViewMessage {
        public StateChunk {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof StateChunk c && c.viewNumber == viewNumber && c.index == index && c.count == count
                    && java.util.Arrays.equals(c.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(viewNumber, index, count, java.util.Arrays.hashCode(bytes));
        }

        @Override
        public String toString() {
            return "StateChunk[view " + viewNumber + ", " + (index + 1) + " of " + count + ", " + bytes.length + " bytes]";
        }
    }
}
