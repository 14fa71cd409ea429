package lamportkv.rmi;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * Peer messages in one RMI call: every message waiting on the link {@code from → receiver},
 * in the order they were sent. Message {@code k} of the batch has link sequence number
 * {@code firstSeq + k}; the receiver drops the ones it already holds, which makes a re-sent batch
 * harmless. The messages themselves are compactly encoded ({@link lamportkv.core.Codec}).
 *
 * @param auth proof that the sender knows the cluster secret: an HMAC over the sender, the
 *             receiver, {@code firstSeq} and the messages ({@link lamportkv.security.PeerAuth})
 */
public record Batch(int from, long firstSeq, byte[] messages, byte[] auth) implements Serializable {
    public Batch {
        if (from <= 0) {
            throw new IllegalArgumentException("bad sender " + from);
        }
        if (firstSeq <= 0) {
            throw new IllegalArgumentException("link sequence numbers start at 1: " + firstSeq);
        }
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(auth, "auth");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Batch b && b.from == from && b.firstSeq == firstSeq && Arrays.equals(b.messages, messages)
                && Arrays.equals(b.auth, auth);
    }

    @Override
    public int hashCode() {
        return Objects.hash(from, firstSeq, Arrays.hashCode(messages), Arrays.hashCode(auth));
    }

    @Override
    public String toString() {
        return "Batch[from=" + from + ", firstSeq=" + firstSeq + ", " + messages.length + " bytes]";
    }
}
