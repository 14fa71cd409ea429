package lamportkv.rmi;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Peer messages in one RMI call: every message waiting on the link {@code from → receiver},
 * in the order they were sent. Message {@code k} of the batch has link sequence number
 * {@code firstSeq + k}; the receiver drops the ones it already holds, which makes a re-sent batch
 * harmless. The messages themselves are compactly encoded ({@link lamportkv.core.Codec}).
 *
 * @param sentMillis the sender's wall clock when it sent the batch: an input to the cluster's time
 *                   ({@link lamportkv.core.ClusterTime}), never to the order
 * @param agreement  what the sender is configured with that every replica must share, in words
 *                   ({@link lamportkv.core.Agreement#describe}, UTF-8): a receiver configured
 *                   otherwise refuses the batch, naming both
 * @param auth       proof that the sender knows the cluster secret: an HMAC over every other
 *                   field ({@link lamportkv.security.PeerAuth})
 */
public record Batch(int from, long firstSeq, byte[] messages, long sentMillis, byte[] agreement, byte[] auth)
        implements Serializable {
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
        Objects.requireNonNull(agreement, "agreement");
        Objects.requireNonNull(auth, "auth");
        if (agreement.length > MAX_AGREEMENT_BYTES) {
            throw new IllegalArgumentException("an agreement of " + agreement.length + " bytes is over the limit of "
                    + MAX_AGREEMENT_BYTES);
        }
    }

    /** {@link #agreement} as text. */
    public String agreementText() {
        return new String(agreement, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Batch b && b.from == from && b.firstSeq == firstSeq && Arrays.equals(b.messages, messages)
                && b.sentMillis == sentMillis && Arrays.equals(b.agreement, agreement) && Arrays.equals(b.auth, auth);
    }

    @Override
    public int hashCode() {
        return Objects.hash(from, firstSeq, Arrays.hashCode(messages), sentMillis, Arrays.hashCode(agreement),
                Arrays.hashCode(auth));
    }

    @Override
    public String toString() {
        return "Batch[from=" + from + ", firstSeq=" + firstSeq + ", " + messages.length + " bytes]";
    }
}
