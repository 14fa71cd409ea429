package lamportkv.client;

import java.util.Objects;
import java.util.Optional;

/**
 * One change a watch delivers: at {@code revision} (its position in the total order, the same on
 * every replica), {@code key} took {@code value}, or was deleted ({@code value} empty).
 */
public record Change(long revision, String key, Optional<String> value) {
    public Change {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** Whether the key was deleted. */
    public boolean deleted() {
        return value.isEmpty();
    }

    /** As the shell's {@code watch} prints it: {@code REV KEY VALUE}, or {@code REV KEY (deleted)}. */
    @Override
    public String toString() {
        return revision + " " + key + " " + value.orElse("(deleted)");
    }
}
