package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * A replica's answer to a {@link Command}.
 *
 * @param status what happened
 * @param text   on {@code OK} the line the shell prints; otherwise the one-line error message
 */
public record Reply(Status status, String text) implements Serializable {

    public enum Status {
        /** Ordered and applied; {@code text} is the result. */
        OK,
        /** Ordered and applied everywhere, and failed the same way everywhere (rule 6): nothing changed. */
        FAILED,
        /** Refused before ordering (bad input, replica stopping): nothing happened anywhere. */
        REFUSED,
        /** Not finished in time: the operation is pending and may still be applied later. */
        TIMEOUT
    }

    public Reply {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(text, "text");
    }

    public boolean ok() {
        return status == Status.OK;
    }
}
