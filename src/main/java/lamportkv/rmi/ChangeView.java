package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * One change to a key, as a watch receives it: at {@code revision}, {@code key} took
 * {@code value} ({@code number} says whether it is a number), or was deleted.
 *
 * @param value the new value as {@code get} prints it; empty if {@code deleted}
 */
public record ChangeView(long revision, String key, boolean deleted, boolean number, String value)
        implements Serializable {
    public ChangeView {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** The change as the shell's {@code watch} prints it: {@code REV KEY VALUE} or {@code REV KEY (deleted)}. */
    @Override
    public String toString() {
        return revision + " " + key + " " + (deleted ? "(deleted)" : value);
    }
}
