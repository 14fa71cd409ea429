package lamportkv.rmi;

import java.io.Serializable;
import java.util.Objects;

/**
 * One replica's view of itself and its peers, for {@code status}.
 *
 * @param clients       how many clients the replicated client table remembers (for exactly-once retries)
 * @param viewNumber    the number of the replica's current view
 * @param viewMembers   that view's members, in id order (an array: the serial filters take primitive arrays)
 * @param viewCondition "" while the replica is a working member of that view, else why it takes no
 *                      client operations, in a few words ({@code excluded since 14:02:11; rejoining})
 * @param viewChanges   how many views the replica has installed since it started
 * @param cpuNanos      the CPU time the replica's process has used so far (all its threads), or -1
 *                      if the JVM cannot tell: the bench's CPU per operation
 * @param compileMillis the time the replica's JIT compilers have spent so far, or -1 if the JVM
 *                      cannot tell: the bench warms up until they are done
 */
public record ReplicaStatus(int id, String address, long clock, int bufferLength, int unstamped, long applied,
                            String digest, int clients, PeerStatus[] peers, long viewNumber, int[] viewMembers,
                            String viewCondition, long viewChanges, long cpuNanos, long compileMillis)
        implements Serializable {
    public ReplicaStatus {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(viewCondition, "viewCondition");
        peers = peers.clone();
        viewMembers = viewMembers.clone();
    }

    /** A status that says nothing of the process's CPU time. */
    public ReplicaStatus(int id, String address, long clock, int bufferLength, int unstamped, long applied,
                         String digest, int clients, PeerStatus[] peers, long viewNumber, int[] viewMembers,
                         String viewCondition, long viewChanges) {
        this(id, address, clock, bufferLength, unstamped, applied, digest, clients, peers, viewNumber, viewMembers,
                viewCondition, viewChanges, -1, -1);
    }

    /** The time this JVM's JIT compilers have spent so far, in milliseconds, or -1 if it cannot tell. */
    public static long processCompileMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    /** The CPU time this JVM's process has used so far, in nanoseconds, or -1 if it cannot tell. */
    public static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return -1;
    }

    @Override
    public PeerStatus[] peers() {
        return peers.clone();
    }

    @Override
    public int[] viewMembers() {
        return viewMembers.clone();
    }
}
