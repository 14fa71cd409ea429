package lamportkv.core;

/**
 * A Lamport logical clock (Lamport 1978): one counter per replica.
 *
 * <ul>
 *   <li>internal event: {@code L = L + 1}</li>
 *   <li>send: {@code L = L + 1}, and the message carries {@code L}</li>
 *   <li>receive of a message stamped {@code t}: {@code L = max(L, t) + 1}</li>
 * </ul>
 *
 * Not thread-safe: it belongs to the replica's event loop, like the rest of the state.
 */
public final class LamportClock {
    private long time;

    public LamportClock() {
        this(0);
    }

    public LamportClock(long start) {
        if (start < 0) {
            throw new IllegalArgumentException("clock cannot be negative: " + start);
        }
        this.time = start;
    }

    /** An internal event, such as the {@code tick} command. Returns the new time. */
    public long onInternalEvent() {
        return ++time;
    }

    /** A send: returns the stamp the message carries. */
    public long onSend() {
        return ++time;
    }

    /** The receipt of a message stamped {@code stamp}. Returns the new time. */
    public long onReceive(long stamp) {
        time = Math.max(time, stamp) + 1;
        return time;
    }

    /** Sets the clock back to a value read from a snapshot. */
    void restore(long saved) {
        if (saved < 0) {
            throw new IllegalArgumentException("clock cannot be negative: " + saved);
        }
        time = saved;
    }

    public long time() {
        return time;
    }

    @Override
    public String toString() {
        return "L=" + time;
    }
}
