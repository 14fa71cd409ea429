/**
 * A deterministic crash-restart simulation of {@link lamportkv.core.ReplicaCore}: replicas that
 * journal, commit, crash mid-round, lose unforced and torn records, restart from a snapshot plus
 * replay, and clients that retry until answered. The model, point by point:
 *
 * <ul>
 *   <li><b>Determinism.</b> 2 to 5 replicas; one seeded {@link java.util.Random} makes every
 *       choice ({@link lamportkv.sim.crash.CrashSetup}, then every step of
 *       {@link lamportkv.sim.crash.CrashCluster}). Time is the step counter. A failure prints its
 *       seed and the command that replays it with a trace ({@code -Dcrashsim.seed=N}).</li>
 *   <li><b>Disk and memory.</b> Each replica ({@link lamportkv.sim.crash.SimulatedReplica}) has a
 *       {@link lamportkv.sim.crash.SimulatedDisk} — journal records, how many are forced, the latest
 *       snapshot and the number of records it covers — and a volatile part: the core and the outputs
 *       it holds back in the current round.</li>
 *   <li><b>Rounds.</b> A replica takes a few inputs (client operations, messages, ticks), each
 *       appending a record; then it commits: forces the disk, and only then releases the round's
 *       outputs (messages become deliverable, answers reach clients). Sometimes a snapshot follows
 *       a commit and the records it covers are forgotten.</li>
 *   <li><b>Network.</b> {@link lamportkv.sim.crash.ReliableLinks}: only committed messages travel;
 *       a delivery hands the receiver the message numbered one above what it holds, after a random
 *       delay, in a random interleaving of links; re-sends (duplicates) and overtaking messages
 *       (gaps) arrive too and must be dropped. Receivers report the number they hold at each commit
 *       (and at restart); the sender learns it later and stops re-sending.</li>
 *   <li><b>Crashes.</b> At planned random steps, one replica (often mid-round), several, or all.
 *       The volatile part is lost; forced records survive; of the unforced ones a random prefix
 *       survives and its last may be torn (recovery drops it). A crashed replica stays down a random
 *       number of steps, then restores its snapshot (or starts fresh), replays the records after
 *       it, and re-sends {@link lamportkv.core.ReplicaCore#unconfirmed}.</li>
 *   <li><b>Clients.</b> {@link lamportkv.sim.crash.CrashClient}: closed loop, own client id,
 *       increasing sequence numbers; each operation is one {@link lamportkv.check.History} entry.
 *       On a crash of its replica or a timeout (doubling at each attempt) it retries the same
 *       client id and sequence number at a live replica, until answered. The wall clock in each
 *       {@link lamportkv.core.ClientTag} is the step of the attempt; the client table's expiry is
 *       far longer than any run. The workload ({@link lamportkv.sim.crash.CrashWorkload}) has a
 *       counter that only gets {@code add counter 1} after its one set.</li>
 *   <li><b>Checks</b> ({@link lamportkv.sim.crash.CrashCheck}): during the run, the same request,
 *       result and digest at each position of every replica's applied sequence; recovery rebuilds
 *       the agreed prefix (exactly the old state if nothing was lost); nothing released or reported
 *       is forgotten; links behave. At the end: every operation answered; equal sequences, data,
 *       digests and client tables; empty buffers; linearizable per key; distinct adds; and no lost
 *       or duplicate operation: the counter equals the number of adds, answered 1..n.</li>
 *   <li><b>Broken variants</b> ({@link lamportkv.sim.crash.CrashVariant}), test-only, each dropping
 *       one rule, to show the checks fail without it.</li>
 * </ul>
 */
package lamportkv.sim.crash;
