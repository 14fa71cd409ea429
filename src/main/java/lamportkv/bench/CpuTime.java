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
 * @param nanos         the replicas' read CPU time plus this process's
 * @param replicasRead  how many replicas answered
 * @param compileMillis the time the JIT compilers of those replicas and of this process have
 *                      spent, or -1 if one of them cannot tell
 */
record CpuTime(long nanos, int replicasRead, int replicas, long compileMillis) {

    static CpuTime read(List<ReplicaAddress> addresses) {
        long total = ReplicaStatus.processCpuNanos();
        long compile = ReplicaStatus.processCompileMillis();
        int read = 0;
        for (ReplicaAddress a : addresses) {
            try {
                ReplicaStatus status = Rmi.replicaService(a.host(), a.port()).status();
                long cpu = status.cpuNanos();
                if (cpu >= 0) {
                    total += cpu;
                    read++;
                }
                compile = compile < 0 || status.compileMillis() < 0 ? -1 : compile + status.compileMillis();
            } catch (RemoteException | NotBoundException | RuntimeException e) {
                // Down, frozen or too old to say: left out, and the result says so.
            }
        }
        return new CpuTime(total, read, addresses.size(), read == addresses.size() ? compile : -1);
    }

    /** What was used between {@code earlier} and this reading. */
    CpuTime minus(CpuTime earlier) {
        return new CpuTime(nanos - earlier.nanos, Math.min(replicasRead, earlier.replicasRead), replicas,
                compileMillis < 0 || earlier.compileMillis < 0 ? -1 : compileMillis - earlier.compileMillis);
    }

    /** Microseconds of CPU per operation, or -1 unless every replica was read both times (or nothing was done). */
    double microsPerOp(long ops) {
        if (ops <= 0 || replicasRead < replicas) {
            return -1;
        }
        return nanos / 1_000.0 / ops;
    }
}
