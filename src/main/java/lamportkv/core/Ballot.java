package lamportkv.core;

/**
 * A Paxos ballot for choosing one view number: ordered by round, then proposer id, then the
 * proposer's incarnation. The incarnation (a number a replica draws when it starts on an empty
 * disk) keeps a replica that lost its disk from reusing, with another value, a ballot it had
 * used before: two incarnations never share a ballot.
 */
public record Ballot(long round, int proposer, long incarnation) implements Comparable<Ballot> {
    /** Below every real ballot: nothing promised yet. */
    public static final Ballot NONE = new Ballot(0, 0, 0);

    public Ballot {
        if (round < 0 || proposer < 0) {
            throw new IllegalArgumentException("bad ballot " + round + "." + proposer);
        }
    }

    @Override
    public int compareTo(Ballot o) {
        int c = Long.compare(round, o.round);
        if (c == 0) {
            c = Integer.compare(proposer, o.proposer);
        }
        return c != 0 ? c : Long.compare(incarnation, o.incarnation);
    }

    public boolean above(Ballot o) {
        return compareTo(o) > 0;
    }

    @Override
    public String toString() {
        return round + "." + proposer;
    }
}
