package lamportkv.rmi;

/**
 * A replica's answer to a batch from one peer: how far it has taken that link in, and how much of
 * that is on its disk.
 *
 * <p>The two differ because a replica forces its log only when something must leave (a message, a
 * client's answer): a round that only takes messages in (an APPLY, a first OK) leaves its records
 * unforced until the next round that sends, or until it has been quiet a moment. The sender sends
 * on from {@code held} but keeps every message above {@code durable}: if the receiver crashes
 * before forcing, it comes back holding less, and the sender still has what it lost.
 *
 * @param view    the receiver's view: the numbers below are of that incarnation of the link, and
 *                mean nothing to a sender in another view
 * @param held    the highest link sequence number the receiver has taken in; the sender sends on
 *                after it (a receiver that restarted may report less than before: the sender
 *                re-sends from there)
 * @param durable the highest number whose receipt is forced to the receiver's disk; the sender may
 *                forget every message up to it. Never above {@code held}.
 * @param back    messages of the receiver's own link to the sender that were waiting when it
 *                answered (its OKs for the batch, above all), or null: the answer carries them
 *                back instead of a call of their own ({@link #withBack})
 */
public record Ack(long view, long held, long durable, Batch back) {
    /** An answer in view 0. */
    public Ack(long held, long durable) {
        this(0, held, durable);
    }

    /** An answer that carries nothing back. */
    public Ack(long view, long held, long durable) {
        this(view, held, durable, null);
    }

    /** This answer, carrying {@code batch} (of the receiver's link to the sender) back. */
    public Ack withBack(Batch batch) {
        return new Ack(view, held, durable, batch);
    }

    public Ack {
        if (durable > held) {
            throw new IllegalArgumentException("durable " + durable + " is above held " + held);
        }
    }
}
