package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * Peer messages in one RMI call: every message waiting on the link {@code from → receiver},
 * in the order they were sent. Message {@code k} of the batch has link sequence number
 * {@code firstSeq + k}; the receiver drops the ones it already holds, which makes a re-sent batch
 * harmless. The messages themselves are compactly encoded ({@link lamportkv.core.Codec}).
 */
public record Batch(int from, long firstSeq, byte[] messages) implements Serializable {
    public Batch {
        if (from <= 0) {
            throw new IllegalArgumentException("bad sender " + from);
        }
        if (firstSeq <= 0) {
            throw new IllegalArgumentException("link sequence numbers start at 1: " + firstSeq);
        }
        Objects.requireNonNull(messages, "messages");
    }
}
