package lamportkv.rmi;

import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A client's operation as it travels to a replica: the words as typed ({@code add x 5}), who sent
 * it and how long the client will wait. The replica parses and checks the words itself; it never
 * trusts the client to have done so.
 *
 * <p>On the wire a command is a {@link Wire}: its words as UTF-8 byte arrays, so the replica's
 * deserialization filter bounds every word's length before reading it (a string's length is not
 * checked by filters).
 *
 * @param clientId      a random id the client picked for itself
 * @param seq           the client's sequence number for this operation
 * @param words         the command and its arguments
 * @param timeoutMillis how long the replica may take before answering {@link Reply.Status#TIMEOUT}
 */
public record Command(long clientId, long seq, String[] words, long timeoutMillis) implements Serializable {
    public Command {
        Objects.requireNonNull(words, "words");
        words = words.clone();
        for (String w : words) {
            Objects.requireNonNull(w, "word");
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeout must be positive: " + timeoutMillis);
        }
    }

    public static Command of(long clientId, long seq, List<String> words, long timeoutMillis) {
        return new Command(clientId, seq, words.toArray(String[]::new), timeoutMillis);
    }

    public List<String> wordList() {
        return List.of(words);
    }

    @Override
    public String[] words() {
        return words.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Command c && c.clientId == clientId && c.seq == seq
                && Arrays.equals(c.words, words) && c.timeoutMillis == timeoutMillis;
    }

    @Override
    public int hashCode() {
        return Objects.hash(clientId, seq, Arrays.hashCode(words), timeoutMillis);
    }

    @Override
    public String toString() {
        return String.join(" ", words);
    }

    private Object writeReplace() {
        byte[][] utf8 = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            utf8[i] = words[i].getBytes(StandardCharsets.UTF_8);
        }
        return new Wire(clientId, seq, utf8, timeoutMillis);
    }

    /** A {@link Command} as it travels: fixed fields and the words as UTF-8 arrays. */
    static final class Wire implements Serializable {
        private static final long serialVersionUID = 1L;
        private final long clientId;
        private final long seq;
        private final byte[][] words;
        private final long timeoutMillis;

        Wire(long clientId, long seq, byte[][] words, long timeoutMillis) {
            this.clientId = clientId;
            this.seq = seq;
            this.words = words;
            this.timeoutMillis = timeoutMillis;
        }

        private Object readResolve() throws ObjectStreamException {
            if (words == null || words.length > SerialFilters.MAX_COMMAND_WORDS) {
                throw new InvalidObjectException("a command has 1 to " + SerialFilters.MAX_COMMAND_WORDS + " words");
            }
            String[] text = new String[words.length];
            for (int i = 0; i < words.length; i++) {
                if (words[i] == null) {
                    throw new InvalidObjectException("a command's word is missing");
                }
                text[i] = new String(words[i], StandardCharsets.UTF_8);
            }
            try {
                return new Command(clientId, seq, text, timeoutMillis);
            } catch (IllegalArgumentException e) {
                throw new InvalidObjectException(e.getMessage());
            }
        }
    }
}
