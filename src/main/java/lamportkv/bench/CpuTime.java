package lamportkv.bench;

import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.util.List;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.Rmi;

/**
 * CPU time used so far by the replicas (each one's status says its process's) and by this
 * process: the bench's {@code cpu_us_per_op}. A replica that does not answer is left out and
 * counted as unread.
 *
 * @param nanos        the replicas' read CPU time plus this process's
 * @param replicasRead how many replicas answered
 */
record CpuTime(long nanos, int replicasRead, int replicas) {

    static CpuTime read(List<ReplicaAddress> addresses) {
        long total = ReplicaStatus.processCpuNanos();
        int read = 0;
        for (ReplicaAddress a : addresses) {
            try {
                long cpu = Rmi.replicaService(a.host(), a.port()).status().cpuNanos();
                if (cpu >= 0) {
                    total += cpu;
                    read++;
                }
            } catch (RemoteException | NotBoundException | RuntimeException e) {
                // Down, frozen or too old to say: left out, and the result says so.
            }
        }
        return new CpuTime(total, read, addresses.size());
    }

    /** What was used between {@code earlier} and this reading. */
    CpuTime minus(CpuTime earlier) {
        return new CpuTime(nanos - earlier.nanos, Math.min(replicasRead, earlier.replicasRead), replicas);
    }

    /** Microseconds of CPU per operation, or -1 unless every replica was read both times (or nothing was done). */
    double microsPerOp(long ops) {
        if (ops <= 0 || replicasRead < replicas) {
            return -1;
        }
        return nanos / 1_000.0 / ops;
    }
}
