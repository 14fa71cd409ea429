package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import lamportkv.core.Agreement;
import lamportkv.core.ApplyHold;
import lamportkv.core.Flaw;
import lamportkv.core.Node;
import lamportkv.core.Operation;
import lamportkv.core.PeerMessage;
import lamportkv.core.Ready;
import lamportkv.core.ReplicaCore;
import lamportkv.core.Request;
import lamportkv.core.Result;

/**
 * One replica as the crash model sees it: the real {@link Node} — the same object the running
 * replica drives, with every rule of a round — over a {@link SimulatedDisk}, doing what each
 * {@link Ready} says in its order (append, force, commit, then the messages and answers leave).
 * Nothing here decides what to force, send or answer: this class only does the node's I/O, as
 * {@code lamportkv.replica.Rounds} does for a real replica.
 *
 * <p>The volatile part — the node, the client calls waiting at this replica (an RMI handler
 * thread each, in a real replica), the time its records went unforced — is lost in a crash.
 */
final class SimulatedReplica {

    /** Where a replica reports each request it applies (live, not during replay), for the order checks. */
    interface AppliedListener {
        void applied(SimulatedReplica replica, Request request, Result result);
    }

    /** A client call waiting here: which attempt of which client, and when the replica gives up on it. */
    record Waiting(long token, int client, int attempt, long deadline) {
    }

    /** How a restart rebuilt the node. */
    record Restart(boolean fromSnapshot, long replayed, boolean droppedTorn) {
    }

    private final int id;
    private final Agreement agreement;
    private final Set<Flaw> flaws;
    private final long wallOffset;
    private final AppliedListener listener;
    private final SimulatedDisk disk = new SimulatedDisk();

    // ---- volatile: a crash loses all of this ----
    private Node node;
    private final TreeMap<Long, Waiting> waiting = new TreeMap<>();
    private int roundInputs;
    /** When the round's messages leave: the replica's own {@link ApplyHold}, as {@code Rounds} drives it. */
    private ApplyHold applyHold;
    private long unforcedSince = -1;

    /** Not the replica's state: when the simulation brings it back after a crash, and a planned power loss. */
    private long downUntil;
    private long powerLossAt = -1;

    SimulatedReplica(int id, Agreement agreement, Set<Flaw> flaws, long wallOffset, AppliedListener listener) {
        this.id = id;
        this.agreement = agreement;
        this.flaws = flaws.isEmpty() ? Set.of() : EnumSet.copyOf(flaws);
        this.wallOffset = wallOffset;
        this.listener = listener;
        this.node = Node.fresh(id, agreement, this.flaws, observer());
        this.applyHold = new ApplyHold(true, this.flaws);
    }

    int id() {
        return id;
    }

    boolean up() {
        return node != null;
    }

    /** The running node; only while {@link #up}. */
    Node node() {
        if (node == null) {
            throw new IllegalStateException("replica " + id + " is down");
        }
        return node;
    }

    /** The running node's deterministic state. */
    ReplicaCore core() {
        return node().core();
    }

    SimulatedDisk disk() {
        return disk;
    }

    /** This replica's wall clock at step {@code now}: the step, plus its skew. */
    long wall(long now) {
        return now + wallOffset;
    }

    long wallOffset() {
        return wallOffset;
    }

    long downUntil() {
        return downUntil;
    }

    long powerLossAt() {
        return powerLossAt;
    }

    void planPowerLoss(long at) {
        powerLossAt = at;
    }

    /**
     * Whether the current round has inputs not committed yet, or messages are kept back for it
     * ({@link ApplyHold} keeps them only when a round is already waiting: it will come).
     */
    boolean roundPending() {
        return roundInputs > 0 || applyHold.keeping();
    }

    /** Whether APPLYs are kept back for the next round ({@link ApplyHold}). */
    boolean keepingApplies() {
        return applyHold.keeping();
    }

    int roundInputs() {
        return roundInputs;
    }

    /** Whether unforced records have waited {@code limit} steps: the real loop's 10 ms timer. */
    boolean forceDue(long now, long limit) {
        return unforcedSince >= 0 && now - unforcedSince >= limit;
    }

    // ---- inputs of a round ----------------------------------------------------------------------

    /** A client call arrives (an RMI handler thread starts waiting, until {@code deadline}). */
    long submit(Operation op, long clientId, long seq, int client, int attempt, long deadline) {
        roundInputs++;
        long token = node().submit(op, clientId, seq);
        waiting.put(token, new Waiting(token, client, attempt, deadline));
        return token;
    }

    /** The calls whose time is up at step {@code now}, removed: each is withdrawn or timed out. */
    List<Waiting> expired(long now) {
        List<Waiting> due = new ArrayList<>();
        for (Waiting w : List.copyOf(waiting.values())) {
            if (w.deadline() <= now) {
                waiting.remove(w.token());
                due.add(w);
            }
        }
        return due;
    }

    /** @param senderWall the sender's wall clock when it sent the batch; {@code now} the step it arrives */
    ReplicaCore.Receipt received(int from, long seq, PeerMessage message, long senderWall, long now) {
        node().peerTime(from, senderWall, now);
        ReplicaCore.Receipt receipt = node().receive(from, seq, message);
        if (receipt == ReplicaCore.Receipt.ACCEPTED || receipt == ReplicaCore.Receipt.REFUSED) {
            roundInputs++;                    // both are journaled; duplicates and gaps are not
        }
        return receipt;
    }

    /** An empty batch (a heartbeat): the sender's clock comes in, the ack goes back. */
    void heartbeat(int from, long senderWall, long now) {
        node().peerTime(from, senderWall, now);
    }

    void tick() {
        roundInputs++;
        node().tick();
    }

    /** The real replica's expiry timer ({@link lamportkv.core.Node#expiryTimer}): an Expire may be submitted. */
    boolean expiryTimer(long now) {
        if (node().expiryTimer(wall(now), now)) {
            roundInputs++;
            return true;
        }
        return false;
    }

    /**
     * Ends the round: asks the node for its {@link Ready} and does the I/O in its order. Returns
     * it, the messages that leave now (by peer, after {@link ApplyHold}; {@code nextWaiting}: the
     * simulation's say whether another round is already waiting, as a real loop's inbox would
     * tell), and the client calls it answers, for the network and the clients.
     */
    Committed commit(long now, boolean forceRequested, boolean nextWaiting, Random random) {
        // Every replica's monotonic clock is the step; its wall clock the step plus its skew.
        Ready ready = node().ready(wall(now), now, forceRequested);
        for (byte[] record : ready.records()) {
            disk.append(record, random);
        }
        List<Answered> answers = answered(ready.earlyAnswers());
        if (ready.force()) {
            disk.force();
        }
        node().committed(ready);
        answers.addAll(answered(ready.answers()));
        roundInputs = 0;
        if (!node().unforced()) {
            unforcedSince = -1;
        } else if (unforcedSince < 0) {
            unforcedSince = now;
        }
        return new Committed(ready, applyHold.leaving(ready.messages(), nextWaiting), answers);
    }

    private List<Answered> answered(List<Node.Answer> given) {
        List<Answered> answers = new ArrayList<>();
        for (Node.Answer a : given) {
            Waiting w = waiting.remove(a.token());
            if (w != null) {
                answers.add(new Answered(w, a.request(), a.result()));
            }
        }
        return answers;
    }

    /** A committed round: the node's decisions, the messages that leave now, and the waiting calls it answered. */
    record Committed(Ready ready, Map<Integer, List<ReplicaCore.Outgoing>> leaving, List<Answered> answers) {
    }

    record Answered(Waiting call, Request request, Result result) {
    }

    /** After a forced commit: the whole state as a snapshot, covering every record so far. */
    boolean takeSnapshot() {
        if (node().unforced()) {
            return false;
        }
        disk.takeSnapshot(node().snapshot());
        return true;
    }

    // ---- crash and restart ----------------------------------------------------------------------

    /**
     * The process is killed while its round's force is under way: the round's records have been
     * handed to the OS (the force writes the buffer out first) but the force has not returned, so
     * nothing of the round has left but its early answers. Then {@link #crash}. Returns the
     * calls those early answers reached.
     */
    List<Answered> beginCommitAndDie(long now) {
        Ready ready = node().ready(wall(now), now, false);
        for (byte[] record : ready.records()) {
            disk.append(record, ALWAYS_FLUSHED);
        }
        List<Answered> answers = answered(ready.earlyAnswers());
        disk.handToOs();
        return answers;
    }

    /** The write buffer goes to the OS on every append. */
    private static final Random ALWAYS_FLUSHED = new Random() {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean nextBoolean() {
            return true;
        }
    };

    /** Loses the volatile part; the disk takes the damage of this kind of crash. */
    SimulatedDisk.Damage crash(Random random, boolean powerLoss, long downUntil) {
        node = null;
        waiting.clear();
        roundInputs = 0;
        applyHold = new ApplyHold(true, flaws);     // what it kept back is re-sent from the log, like the links' queues
        unforcedSince = -1;
        this.downUntil = downUntil;
        return powerLoss ? disk.powerLoss(random) : disk.processCrash(random);
    }

    /** The power goes while the replica is down: what the restart had read back of the page cache may go too. */
    SimulatedDisk.Damage powerLossWhileDown(Random random) {
        return disk.powerLoss(random);
    }

    /**
     * Rebuilds the node from the disk, with the real recovery: the latest snapshot (or a fresh
     * node) and a replay of the intact records after it, under {@code configured}. Replay answers
     * nobody and sends nothing; the node's first round forces, then re-sends its backlog.
     *
     * @throws Agreement.Mismatch if {@code configured} is not what the disk was written under
     */
    Restart restart(Agreement configured) {
        SimulatedDisk.Contents contents = disk.recover();
        Node.Recovery recovery = Node.recover(id, configured, Optional.ofNullable(contents.snapshot()), flaws,
                observer());
        for (byte[] record : contents.records()) {
            recovery.replay(record);
        }
        node = recovery.finish();
        roundInputs = 1;            // the real replica runs a first round at start, with no work
        return new Restart(recovery.fromSnapshot(), recovery.replayed(), contents.droppedTorn());
    }

    /** The agreement this replica is configured with. */
    Agreement agreement() {
        return agreement;
    }

    private Node.Observer observer() {
        return new Node.Observer() {
            @Override
            public void applied(Request request, Result result) {
                listener.applied(SimulatedReplica.this, request, result);
            }
        };
    }
}
