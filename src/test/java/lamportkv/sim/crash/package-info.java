/**
 * A deterministic crash-restart simulation of the real {@link lamportkv.core.Node}: the same
 * object a running replica drives, with every rule of a round (Admission, "durable before it
 * leaves", "force only when something leaves", held and durable acks, restart forces first, the
 * cluster's time, withdrawal of unstamped operations), over simulated disks, links and clients.
 * The model, point by point:
 *
 * <ul>
 *   <li><b>Determinism.</b> 2 to 5 replicas; one seeded {@link java.util.Random} makes every
 *       choice ({@link lamportkv.sim.crash.CrashSetup}, then every step of
 *       {@link lamportkv.sim.crash.CrashCluster}). Time is the step counter; each replica's wall
 *       clock is the step plus its skew (one replica two hours off in two runs of three). A failure
 *       prints its seed and the command that replays it with a trace ({@code -Dcrashsim.seed=N}).</li>
 *   <li><b>Rounds.</b> {@link lamportkv.sim.crash.SimulatedReplica} feeds the node its inputs
 *       (client calls, messages, heartbeats with the sender's clock, acks, ticks) and, at the end
 *       of a round, does what the node's {@link lamportkv.core.Ready} says, in its order: append,
 *       force if told, commit, then the messages join the links and the answers reach the clients.
 *       A replica whose unforced records have waited long enough gets a round with a force asked
 *       for (the real loop's 10 ms timer). Nothing in the simulation decides what to force, send or
 *       answer.</li>
 *   <li><b>Disk.</b> {@link lamportkv.sim.crash.SimulatedDisk}: each record is in the process's
 *       write buffer, the page cache or on the platter. A process crash loses the buffer (the page
 *       cache's last record may be torn) and keeps the page cache, not durable; a power loss keeps
 *       the platter only, and of the page cache the unbroken run of records that happened to land
 *       (out of order: a later record landing is cut too). Some process crashes strike while a
 *       round's force is under way (its records in the page cache, nothing of it sent); some are
 *       followed by a power loss soon after the restart. Snapshots are whole, forced files.</li>
 *   <li><b>Network.</b> {@link lamportkv.sim.crash.ReliableLinks}: only committed messages travel;
 *       a delivery hands the receiver the message numbered one above what it holds, after a random
 *       delay, in a random interleaving of links; re-sends (duplicates) and overtaking messages
 *       (gaps) arrive too and must be dropped. After each delivery or heartbeat the receiver's node
 *       says how much it holds durably; the sender learns it later and forgets those messages.</li>
 *   <li><b>Restarts.</b> A crashed replica stays down a random number of steps, then the real
 *       recovery rebuilds its node from its snapshot and the records read back. Now and then it is
 *       first started under another configuration, which must be refused.</li>
 *   <li><b>Clients.</b> {@link lamportkv.sim.crash.CrashClient}: closed loop, own client id,
 *       increasing sequence numbers, a time budget per operation, and now and then a pause longer
 *       than the client expiry (so records expire). An attempt at a replica gets the time left as
 *       its deadline; at the deadline the replica takes the operation back if it is unstamped
 *       ({@code NOT_APPLIED}) or answers {@code TIMEOUT}. A crash or a broken connection sends the
 *       same tag to the next replica. What the user is told is decided by the real client's
 *       {@link lamportkv.client.Attempts}: applied with a result, not applied, or may still be
 *       applied. The workload ({@link lamportkv.sim.crash.CrashWorkload}) has a counter that only
 *       gets {@code add counter 1} after its one set.</li>
 *   <li><b>Checks</b> ({@link lamportkv.sim.crash.CrashCheck}): during the run, the same request,
 *       result and digest at each position of every replica's applied sequence; recovery rebuilds
 *       the agreed prefix (exactly the old state if nothing was lost); nothing acknowledged as
 *       durable or released is forgotten; links behave; the buffer's indexes agree; no divergence
 *       alarm. At the end: every operation ended; equal sequences, data, digests and client tables;
 *       empty buffers; linearizable per key; distinct adds; no lost or duplicate operation (the
 *       counter against what the users were told); and nothing untrue told ("not applied" about an
 *       operation that was ordered).</li>
 *   <li><b>Broken variants</b> ({@link lamportkv.sim.crash.CrashVariant}), each a fixed bug put
 *       back ({@link lamportkv.core.Flaw}, or the client's), to show the checks catch it.</li>
 * </ul>
 */
package lamportkv.sim.crash;
