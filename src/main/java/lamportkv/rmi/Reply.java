package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * A replica's answer to a {@link Command}.
 *
 * <p>The status alone says what a client may conclude and do: whether the outcome of <em>this
 * attempt</em> is known, and whether the same command (same client id and sequence number) may be
 * sent to another replica. The text explains, for the user; no client decides by matching it, and
 * it carries no verdict on the operation as a whole ("not applied", "may still be applied"): only
 * the client, which knows every attempt it made, can give that.
 *
 * @param status what happened to this attempt
 * @param text   on {@code OK} the line the shell prints; otherwise a one-line message saying what
 *               happened (and, where the replica knows, what to do)
 */
public record Reply(Status status, String text) implements Serializable {

    /** What happened to one attempt, as far as the replica that answered it knows. */
    public enum Status {
        /** Ordered and applied; {@code text} is the result. Definite; nothing to retry. */
        OK(true, true, false),
        /**
         * Ordered and applied everywhere, and failed the same way everywhere (rule 6): nothing
         * changed. Definite; a retry anywhere would get the same answer.
         */
        FAILED(true, true, false),
        /**
         * Refused before ordering because of the command itself (bad input, a limit on its size):
         * not applied, and every replica would refuse it the same way. Definite; no retry.
         */
        REFUSED(true, false, false),
        /**
         * This replica cannot take the operation now (it is stopping, busy, or its disk failed;
         * later also: it is not a member of a working view) and did not take it: this attempt
         * certainly changed nothing. Another replica may take the same command.
         */
        UNAVAILABLE(true, false, true),
        /**
         * This replica took the operation, then stopped or its disk failed before it could answer:
         * the outcome is unknown (it may have been logged and may still be applied). The same
         * command may go to another replica: the cluster applies a tag at most once.
         */
        ABANDONED(false, false, true),
        /**
         * The attempt's time ran out while the operation was still queued at this replica, not yet
         * stamped, and the replica took it back: this attempt will never be applied. Not retried:
         * the time the client gave it is spent.
         */
        NOT_APPLIED(true, false, false),
        /**
         * The attempt's time ran out after the operation was stamped: it is pending and may still be
         * applied. Unknown; not retried (the time is spent, and it may yet complete).
         */
        TIMEOUT(false, false, false);

        private final boolean definite;
        private final boolean applied;
        private final boolean retryElsewhere;

        Status(boolean definite, boolean applied, boolean retryElsewhere) {
            this.definite = definite;
            this.applied = applied;
            this.retryElsewhere = retryElsewhere;
        }

        /**
         * Whether the outcome of this attempt is known: applied ({@link #applied()}) or certainly
         * never applied by this attempt. False for {@link #ABANDONED} and {@link #TIMEOUT}.
         */
        public boolean definite() {
            return definite;
        }

        /** Whether the operation was applied, so the answer is its result: {@link #OK} and {@link #FAILED}. */
        public boolean applied() {
            return applied;
        }

        /**
         * Whether the same command (same client id and sequence number) may be sent to another
         * replica: {@link #UNAVAILABLE} and {@link #ABANDONED}.
         */
        public boolean retryElsewhere() {
            return retryElsewhere;
        }
    }

    public Reply {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(text, "text");
    }

    public boolean ok() {
        return status == Status.OK;
    }
}
