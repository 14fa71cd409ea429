package lamportkv.sim;

/** The checks a simulated run must pass; a failure names which one caught it. */
enum Check {
    /** The core refused a message ({@code ProtocolViolation}); the run stops there. */
    PROTOCOL("protocol violation"),
    /** A Lamport clock rule broke: a clock went back, a send did not tick, a receive did not pass the stamp. */
    CLOCK("Lamport clock rules"),
    /** Two replicas applied different requests at the same position of their sequences. */
    ORDER("same apply order"),
    /** A client got an answer it was not waiting for, or for another operation. */
    ANSWERS("answers match requests"),
    /** Some client operation never completed although the network drained. */
    LIVENESS("every operation completes"),
    /** Replicas ended with different data, digest or client table. */
    CONVERGENCE("replicas converge"),
    /** A replica computed a different result for a request than its origin did. */
    RESULTS("results equal the origin's"),
    /** The history is not linearizable per key. */
    LINEARIZABILITY("linearizable per key"),
    /** The per-key search gave up: neither pass nor proof. */
    LINEARIZABILITY_INCONCLUSIVE("linearizability search within budget"),
    /** Two successful adds on the counter returned the same value. */
    DISTINCT_ADDS("distinct add results"),
    /** A buffer still held requests at the end. */
    BUFFERS("buffers drain");

    private final String title;

    Check(String title) {
        this.title = title;
    }

    String title() {
        return title;
    }
}
