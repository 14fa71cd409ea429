package lamportkv.core;

import java.util.Arrays;
import java.util.Collection;

/**
 * The cluster's time, as one replica can tell it when it stamps a request: the lower median of
 * its own wall clock and its peers' — each peer's last reported clock moved on by the time that
 * has passed here since ({@link Reading}).
 *
 * <p>Why: client records expire by time ({@code client.expiry.seconds}), and the time must not
 * depend on how far apart two replicas' clocks are (PROTOCOL.md, "Crash and restart"). If each
 * request carried its origin's own clock, one replica whose clock runs two hours ahead would move
 * the order's time two hours on and expire every record at once, and a retried write would apply
 * twice. The lower median stays between honest clocks while fewer than half of the clocks it
 * takes run ahead. With two replicas it is the smaller clock; alone, a replica's own.
 *
 * <p>It needs the clocks of a majority of the cluster: until this replica has heard from enough
 * peers (just after it started) it stamps {@link #UNKNOWN}, and such a request leaves the order's
 * time as it was. Pure: the caller hands in every clock reading.
 */
public final class ClusterTime {
    /** A request stamped without a time: it neither moves the order's time nor sets a record's. */
    public static final long UNKNOWN = 0;

    /**
     * A peer's wall clock as it reported it, and this replica's monotonic clock when the report
     * arrived: at monotonic time {@code m} the peer's clock reads about {@code wallMillis + m - atMonoMillis}.
     */
    public record Reading(long wallMillis, long atMonoMillis) {
        long at(long monoMillis) {
            return wallMillis + (monoMillis - atMonoMillis);
        }
    }

    private ClusterTime() {
    }

    /**
     * The lower median of {@code ownWallMillis} and the peers' readings moved on to
     * {@code ownMonoMillis}, or {@link #UNKNOWN} if together they are fewer than a majority of
     * {@code clusterSize}.
     */
    public static long estimate(long ownWallMillis, long ownMonoMillis, Collection<Reading> peers, int clusterSize) {
        if (peers.size() + 1 < clusterSize / 2 + 1) {
            return UNKNOWN;
        }
        long[] clocks = new long[peers.size() + 1];
        clocks[0] = ownWallMillis;
        int i = 1;
        for (Reading r : peers) {
            clocks[i++] = r.at(ownMonoMillis);
        }
        Arrays.sort(clocks);
        return Math.max(UNKNOWN, clocks[(clocks.length - 1) / 2]);
    }
}
