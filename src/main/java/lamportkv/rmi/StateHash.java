package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/** A replica's own state in brief: equal on replicas with equal state. Printed by {@code hash}. */
public record StateHash(long applied, String digest) implements Serializable {
    public StateHash {
        Objects.requireNonNull(digest, "digest");
    }

    @Override
    public String toString() {
        return "applied=" + applied + " digest=" + digest;
    }
}
