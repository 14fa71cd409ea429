package lamportkv.core;

import java.util.Objects;

/** A client operation stamped by the replica that received it: {@code r = (ts, origin, op)}. */
public record Request(RequestId id, Operation op) {
    public Request {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(op, "op");
    }
}
