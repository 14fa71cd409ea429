package lamportkv.core;

import java.util.Objects;

/**
 * A client operation stamped by the replica that received it: {@code r = (ts, origin, op)}, with
 * the client that asked for it (for exactly-once retries).
 */
public record Request(RequestId id, Operation op, ClientTag client) {
    public Request {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(client, "client");
    }

    /** An anonymous request, never deduplicated. */
    public Request(RequestId id, Operation op) {
        this(id, op, ClientTag.NONE);
    }
}
