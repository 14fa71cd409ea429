package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * What {@link PeerService#observe} answers: a replica's state and its events after a cursor.
 *
 * @param replica   the replica's state
 * @param recorder  identifies the replica's event recorder; a new value means the replica restarted
 *                  and its event numbers started again from 1
 * @param events    events after the cursor, oldest first, at most a bounded number of the newest
 * @param missed    events after the cursor that are not in {@code events} (too many, or no longer kept)
 * @param executed  operations this replica executed as their origin since it started
 * @param autoTick  whether its dashboard makes internal events at random intervals
 */
public record Observation(ReplicaView replica, long recorder, EventView[] events, long missed, long executed,
                          boolean autoTick) implements Serializable {
    public Observation {
        Objects.requireNonNull(replica, "replica");
        events = events.clone();
    }

    @Override
    public EventView[] events() {
        return events.clone();
    }

    /** The cursor for the next call: the number of the last event here, or {@code after} if none. */
    public long next(long after) {
        return events.length == 0 ? after : events[events.length - 1].seq();
    }
}
