package lamportkv.rmi;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A client's operation as it travels to a replica: the words as typed ({@code add x 5}), who sent
 * it and how long the client will wait. The replica parses and checks the words itself; it never
 * trusts the client to have done so.
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
}
