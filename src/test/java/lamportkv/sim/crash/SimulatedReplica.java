package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import lamportkv.core.ClientTag;
import lamportkv.core.Operation;
import lamportkv.core.PeerMessage;
import lamportkv.core.ReplicaCore;
import lamportkv.core.Request;
import lamportkv.core.RequestId;
import lamportkv.core.Result;

/**
 * One replica as the crash model sees it: a {@link SimulatedDisk} that survives crashes, and a
 * volatile part that does not — the {@link ReplicaCore}, and the outputs of the current round that
 * it holds back until the round commits.
 *
 * <p>Rounds work as in the real replica's event loop: it takes a few inputs (each one appends a
 * journal record through {@link #record}), then {@link #commit}s: forces the disk, and only then
 * releases the round's outputs. A message or an answer therefore never leaves before the records
 * that produced it are durable, which is what makes a restarted replica look merely slow.
 */
final class SimulatedReplica implements ReplicaCore.Output {

    /** Where a replica reports each request it applies (live, not during replay), for the order checks. */
    interface AppliedListener {
        void applied(SimulatedReplica replica, Request request, Result result);
    }

    /** A message the core sent during the round, held back until the commit. */
    record HeldSend(int to, long seq, PeerMessage message) {
    }

    /** An answer the core gave during the round, held back until the commit. */
    record HeldAnswer(long clientToken, Request request, Result result) {
    }

    /** A committed round's outputs, now free to leave. */
    record Round(int inputs, List<HeldSend> sends, List<HeldAnswer> answers) {
    }

    /** How a restart rebuilt the core. */
    record Restart(boolean fromSnapshot, int replayed, boolean droppedTorn) {
    }

    private final int id;
    private final List<Integer> members;
    private final long clientExpiry;
    private final AppliedListener listener;
    private final SimulatedDisk disk = new SimulatedDisk();

    // ---- volatile: a crash loses all of this ----
    private ReplicaCore core;
    private final List<HeldSend> heldSends = new ArrayList<>();
    private final List<HeldAnswer> heldAnswers = new ArrayList<>();
    private int roundInputs;

    /** Not the replica's state: when the simulation brings it back after a crash. */
    private long downUntil;

    SimulatedReplica(int id, List<Integer> members, long clientExpiry, AppliedListener listener) {
        this.id = id;
        this.members = List.copyOf(members);
        this.clientExpiry = clientExpiry;
        this.listener = listener;
        this.core = new ReplicaCore(id, members, clientExpiry, this);
    }

    int id() {
        return id;
    }

    boolean up() {
        return core != null;
    }

    /** The running core; only while {@link #up}. */
    ReplicaCore core() {
        if (core == null) {
            throw new IllegalStateException("replica " + id + " is down");
        }
        return core;
    }

    SimulatedDisk disk() {
        return disk;
    }

    long downUntil() {
        return downUntil;
    }

    /** Whether the current round has inputs (journal records) or outputs not committed yet. */
    boolean roundPending() {
        return roundInputs > 0 || !heldSends.isEmpty() || !heldAnswers.isEmpty();
    }

    int roundInputs() {
        return roundInputs;
    }

    // ---- inputs of a round ----------------------------------------------------------------------

    RequestId clientOperation(Operation op, ClientTag tag, long clientToken) {
        roundInputs++;
        return core().clientOperation(op, tag, clientToken);
    }

    ReplicaCore.Receipt received(int from, long seq, PeerMessage message) {
        ReplicaCore.Receipt receipt = core().received(from, seq, message);
        if (receipt == ReplicaCore.Receipt.ACCEPTED || receipt == ReplicaCore.Receipt.REFUSED) {
            roundInputs++;                    // both are journaled; duplicates and gaps are not
        }
        return receipt;
    }

    void tick() {
        roundInputs++;
        core().tick();
    }

    /**
     * Ends the round: forces the disk (the test-only switch can skip that), then hands back the
     * outputs held since the last commit, for the network and the clients.
     */
    Round commit(boolean force) {
        if (force) {
            disk.force();
        }
        Round round = new Round(roundInputs, List.copyOf(heldSends), List.copyOf(heldAnswers));
        heldSends.clear();
        heldAnswers.clear();
        roundInputs = 0;
        return round;
    }

    /** After a commit: the whole state as a snapshot, covering every record so far. */
    void takeSnapshot() {
        disk.takeSnapshot(core().snapshot());
    }

    // ---- crash and restart ----------------------------------------------------------------------

    /** Loses the volatile part (the core and the round's held outputs); the disk takes its damage. */
    SimulatedDisk.Damage crash(Random random, long downUntil) {
        core = null;
        heldSends.clear();
        heldAnswers.clear();
        roundInputs = 0;
        this.downUntil = downUntil;
        return disk.crash(random);
    }

    /**
     * Rebuilds the core from the disk: the latest snapshot (or a fresh core) and a replay of the
     * intact records after it. Replay answers nobody and sends nothing; what must be re-sent is in
     * {@link ReplicaCore#unconfirmed}.
     */
    Restart restart() {
        SimulatedDisk.Contents contents = disk.recover();
        core = contents.snapshot() == null
                ? new ReplicaCore(id, members, clientExpiry, this)
                : ReplicaCore.restore(contents.snapshot(), clientExpiry, this);
        for (byte[] record : contents.records()) {
            core.replay(record);
        }
        return new Restart(contents.snapshot() != null, contents.records().size(), contents.droppedTorn());
    }

    // ---- ReplicaCore.Output: records go to the disk, effects wait for the commit ---------------

    @Override
    public void record(byte[] record) {
        disk.append(record);
    }

    @Override
    public void send(int to, long seq, PeerMessage message) {
        heldSends.add(new HeldSend(to, seq, message));
    }

    @Override
    public void executed(long clientToken, Request request, Result result) {
        heldAnswers.add(new HeldAnswer(clientToken, request, result));
    }

    @Override
    public void applied(Request request, Result result) {
        listener.applied(this, request, result);
    }
}
