package lamportkv.sim.crash;

import lamportkv.sim.Violations;

import java.util.List;
import java.util.Set;

/** The outcome of one crash-simulation run, and how to replay exactly that run. */
record CrashReport(long seed, CrashVariant variant, String setup, long steps, CrashStats stats,
                   Violations<CrashCheck> violations, List<String> trace) {

    boolean ok() {
        return violations.isEmpty();
    }

    Set<CrashCheck> caughtBy() {
        return violations.checks();
    }

    String replayCommand() {
        return "cd /work/main && mvn -q -B -o -Dbuild.dir=target-crash test -Dtest='CrashSimulationTest#replay'"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dcrashsim.seed=" + seed
                + (variant == CrashVariant.CORRECT ? "" : " -Dcrashsim.variant=" + variant)
                + "   (the trace goes to target-crash/surefire-reports/lamportkv.sim.crash.CrashSimulationTest-output.txt)";
    }

    String describe() {
        String head = "seed " + seed + (variant == CrashVariant.CORRECT ? "" : " [" + variant + "]")
                + " (" + setup + "; " + steps + " steps)";
        if (ok()) {
            return head + ": all checks pass";
        }
        return head + ": FAILED" + violations.describe() + "\n  counts: " + stats + "\n  replay: " + replayCommand();
    }
}
