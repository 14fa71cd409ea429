package lamportkv.sim.crash;

/**
 * The checks a crash-simulation run must pass. The first group is checked during the run (cheap,
 * and it points at the exact step); the second judges the outcome at the end, as a client or an
 * operator would see it.
 */
enum CrashCheck {
    // ---- during the run ----
    /** The simulation itself threw: a bug in the core or in the model. */
    EXCEPTION("no exception", false),
    /** A replica's divergence alarm went off: it applied a request with another result than its origin (it fail-stops). */
    DIVERGENCE("no divergence alarm", true),
    /** A core refused an in-order message ({@code REFUSED}: a ProtocolViolation). */
    PROTOCOL("no refused message", false),
    /** A link misbehaved: a number released twice with different messages, an unexpected receipt, a stuck link. */
    LINK("reliable links", false),
    /** A restarted replica is not the state it had (or the agreed prefix of it). */
    RECOVERY("recovery rebuilds the state", false),
    /** A restarted replica forgot something the world saw: a held number it reported, a number it sent. */
    DURABILITY("nothing seen is forgotten", false),
    /** Two replicas applied different requests, results or data at the same position. */
    ORDER("same applied sequence", false),
    /** A client got an answer for something it did not ask. */
    ANSWERS("answers match requests", false),
    /** A restart under a configuration other than the disk's was accepted. */
    CONFIGURATION("a changed configuration is refused", false),
    // ---- at the end ----
    /** Some operation was never answered, or the run stalled. */
    LIVENESS("every operation answered", true),
    /** A buffer still holds requests. */
    BUFFERS("buffers drain", false),
    /** Replicas ended with different data, digests, applied counts or client tables. */
    CONVERGENCE("replicas converge", true),
    /** The counter does not equal the number of adds, or an answered write was lost or applied twice. */
    EXACTLY_ONCE("no lost, no duplicate operation", true),
    /** The user was told "not applied" about an operation that was applied. */
    TOLD("what the user was told is true", true),
    /** The history is not linearizable per key. */
    LINEARIZABILITY("linearizable per key", true),
    /** The per-key search gave up. */
    LINEARIZABILITY_INCONCLUSIVE("linearizability search within budget", false),
    /** Two adds on the counter returned the same value. */
    DISTINCT_ADDS("distinct add results", true);

    private final String title;
    private final boolean endToEnd;

    CrashCheck(String title, boolean endToEnd) {
        this.title = title;
        this.endToEnd = endToEnd;
    }

    String title() {
        return title;
    }

    /** Whether it judges what clients see (lost, duplicated, divergent, stuck), not an internal invariant. */
    boolean endToEnd() {
        return endToEnd;
    }
}
