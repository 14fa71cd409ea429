package lamportkv.rmi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Peer messages in one RMI call (as {@link Payloads#encodeBatch} lays them out): every message
 * waiting on the link {@code from → receiver}, in the order they were sent. Message {@code k} of
 * the batch has link sequence number {@code firstSeq + k}; the receiver drops the ones it already holds, which makes a re-sent batch
 * harmless. The messages themselves are compactly encoded ({@link lamportkv.core.Codec}).
 *
 * @param view       the sender's view: the incarnation of the link its numbers belong to (every
 *                   view numbers each link from 1 again); a receiver in another view takes none
 *                   of the messages, but learns the sender's view
 * @param control    view messages ({@link lamportkv.core.ViewCodec}), which need no numbers: they
 *                   may be lost, repeated or reordered
 * @param sentMillis the sender's wall clock when it sent the batch: an input to the cluster's time
 *                   ({@link lamportkv.core.ClusterTime}), never to the order
 * @param agreement  what the sender is configured with that every replica must share, in words
 *                   ({@link lamportkv.core.Agreement#describe}, UTF-8): a receiver configured
 *                   otherwise refuses the batch, naming both
 * @param auth       proof that the sender knows the cluster secret: an HMAC over every other
 *                   field ({@link lamportkv.security.PeerAuth})
 */
public record Batch(int from, long view, long firstSeq, byte[] messages, byte[] control, long sentMillis,
                    byte[] agreement, byte[] auth) {
    private static final byte[] NO_CONTROL = lamportkv.core.ViewCodec.encode(java.util.List.of());
    /** Far more than any configuration's description needs. */
    public static final int MAX_AGREEMENT_BYTES = 4096;

    public Batch {
        if (from <= 0) {
            throw new IllegalArgumentException("bad sender " + from);
        }
        if (firstSeq <= 0) {
            throw new IllegalArgumentException("link sequence numbers start at 1: " + firstSeq);
        }
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(control, "control");
        if (view < 0) {
            throw new IllegalArgumentException("bad view " + view);
        }
        Objects.requireNonNull(agreement, "agreement");
        Objects.requireNonNull(auth, "auth");
        if (agreement.length > MAX_AGREEMENT_BYTES) {
            throw new IllegalArgumentException("an agreement of " + agreement.length + " bytes is over the limit of "
                    + MAX_AGREEMENT_BYTES);
        }
    }

    /** {@link #agreement} as text. */
    /** A batch of view 0 without view messages (as every batch was before views). */
    public Batch(int from, long firstSeq, byte[] messages, long sentMillis, byte[] agreement, byte[] auth) {
        this(from, 0, firstSeq, messages, NO_CONTROL, sentMillis, agreement, auth);
    }

    /** Encoded bytes of both kinds, for the size limit. */
    public long bytes() {
        return (long) messages.length + control.length;
    }

    public String agreementText() {
        return new String(agreement, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Batch b && b.from == from && b.view == view && b.firstSeq == firstSeq
                && Arrays.equals(b.messages, messages) && Arrays.equals(b.control, control)
                && b.sentMillis == sentMillis && Arrays.equals(b.agreement, agreement) && Arrays.equals(b.auth, auth);
    }

    @Override
    public int hashCode() {
        return Objects.hash(from, view, firstSeq, Arrays.hashCode(messages), Arrays.hashCode(control), sentMillis,
                Arrays.hashCode(agreement),
                Arrays.hashCode(auth));
    }

    @Override
    public String toString() {
        return "Batch[from=" + from + ", view " + view + ", firstSeq=" + firstSeq + ", " + messages.length + "+"
                + control.length + " bytes]";
    }
}
