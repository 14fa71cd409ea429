package lamportkv.sim;

import java.util.List;
import java.util.Set;

/**
 * The outcome of one simulated run: its seed and setup, and what the checks found. A failing
 * report says how to replay exactly that run.
 */
record SimulationReport(long seed, boolean fifo, String setup, long steps, int operations,
                        Violations<Check> violations, List<String> trace) {

    boolean ok() {
        return violations.isEmpty();
    }

    Set<Check> caughtBy() {
        return violations.checks();
    }

    String replayCommand() {
        return "cd /work/main && mvn -q -B -o -Dbuild.dir=target-sim test -Dtest=SimulationTest#replay"
                + " -Dsim.seed=" + seed + (fifo ? "" : " -Dsim.fifo=false")
                + "   (the trace goes to target-sim/surefire-reports/lamportkv.sim.SimulationTest-output.txt)";
    }

    String describe() {
        String head = "seed " + seed + " (" + setup + ", " + operations + " operations, " + steps + " steps)";
        if (ok()) {
            return head + ": all checks pass";
        }
        return head + ": FAILED" + violations.describe() + "\n  replay: " + replayCommand();
    }
}
