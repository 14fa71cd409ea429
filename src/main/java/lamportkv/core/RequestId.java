package lamportkv.core;

/**
 * A request's identity and its place in the total order: the Lamport stamp its origin gave it,
 * ties broken by the origin's replica id. No receiver ever re-stamps a request.
 */
public record RequestId(long ts, int origin) implements Comparable<RequestId> {

    public RequestId {
        if (ts <= 0) {
            throw new IllegalArgumentException("a request stamp is positive: " + ts);
        }
        if (origin <= 0) {
            throw new IllegalArgumentException("replica ids are positive: " + origin);
        }
    }

    @Override
    public int compareTo(RequestId other) {
        int byStamp = Long.compare(ts, other.ts);
        return byStamp != 0 ? byStamp : Integer.compare(origin, other.origin);
    }

    @Override
    public String toString() {
        return "(" + ts + "," + origin + ")";
    }
}
