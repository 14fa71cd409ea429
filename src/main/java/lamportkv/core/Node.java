package lamportkv.core;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import lamportkv.core.ReplicaCore.Outgoing;

/**
 * One replica's rounds, pure: what it journals, whether it forces, which messages leave and which
 * clients are answered, decided here and handed to the owner as a {@link Ready}, in the spirit of
 * etcd raft's {@code Ready} loop. The running replica ({@code lamportkv.replica.Replica}) and the
 * crash simulation drive this same object; neither re-implements a rule of it.
 *
 * <p>The rules of a round, each in one place:
 * <ul>
 *   <li><b>Admission.</b> A client operation waits ({@link #submit}) until none of this replica's
 *       own requests is pending; then the waiting ones are stamped together when the round ends
 *       ({@link Admission} says why). An operation still waiting can be taken back
 *       ({@link #withdraw}): then it certainly never runs.</li>
 *   <li><b>Durable before it leaves.</b> A round's messages and answers are handed out only with a
 *       force of every record they depend on ({@link Ready#force}).</li>
 *   <li><b>Force only when something leaves.</b> A round that sends nothing and answers nobody
 *       leaves its records unforced, unless the owner asks ({@code forceRequested}: its records
 *       have waited long enough, or someone waits for the round).</li>
 *   <li><b>One permitted early answer.</b> A client whose operation executes on receiving the
 *       last OK may be answered before the round's force ({@link Ready#earlyAnswers}), if the
 *       record that stamped it was forced in an earlier round: then it is durable here and at
 *       every member, the peers keep their OKs until this replica holds them durably, and the
 *       result is a pure function of the order. Nothing else leaves before the force.</li>
 *   <li><b>Held and durable.</b> A peer is told two numbers for its link ({@link #heldFrom},
 *       {@link #durableFrom}): how far this replica has taken it in, and how far that is forced.
 *       The peer keeps every message above the second.</li>
 *   <li><b>Restart forces first.</b> After a crash the log may hold records that only ever reached
 *       the page cache; a recovered node's first round forces before its backlog or anything else
 *       leaves, and reports as durable only what its snapshot held until then.</li>
 *   <li><b>The cluster's time.</b> A request carries the lower median of this replica's wall clock
 *       and its peers' ({@link ClusterTime}), never its own clock alone.</li>
 * </ul>
 *
 * <p>No threads, disk, network, clock or randomness: the owner hands in the wall-clock time, and
 * does every I/O the {@code Ready} asks for. Not thread-safe: one owner thread.
 */
public final class Node {
    /** The most client operations stamped in one round (one REQUEST batch to each peer). */
    public static final int MAX_BATCH = 1_024;

    /** What the owner hears as it happens, synchronously (the dashboard, logs). Must not call back. */
    public interface Observer {
        Observer NONE = new Observer() {
        };

        /** Message {@code seq} from {@code from} was taken in; {@code clock} is the clock right after. */
        default void received(int from, long seq, PeerMessage message, long clock) {
        }

        /** Message {@code seq} to {@code to} was numbered (it leaves with the round's {@link Ready}). */
        default void sent(int to, long seq, PeerMessage message) {
        }

        /** A request was applied to the data here, its own or another replica's. */
        default void applied(Request request, Result result) {
        }

        /** An in-order message was refused by the rules: consumed, the state untouched. */
        default void refused(int from, long seq, PeerMessage message) {
        }
    }

    /** A client to answer, by the token {@link #submit} gave it: its request and the result. */
    public record Answer(long token, Request request, Result result) {
    }

    /**
     * A client this replica cannot serve (rule V1: it is not a member of a working view), by its
     * token: it may try another replica with the same command.
     *
     * @param mayBeApplied whether the operation was stamped here and may be applied elsewhere (the
     *                     outcome is unknown); false if it certainly never will be, by this attempt
     * @param why          one line, naming the replica and its condition
     */
    public record Refusal(long token, boolean mayBeApplied, String why) {
    }

    /** What {@link #withdraw} found. */
    public enum Withdrawal {
        /** It was still waiting to be stamped and is taken back: it will certainly never be applied. */
        NOT_STAMPED,
        /** It was stamped: it may still be applied. */
        STAMPED,
        /** Not pending here: answered already (the answer is on its way), or never submitted. */
        UNKNOWN
    }

    private record Admitted(long token, Operation op, long clientId, long seq) {
    }

    private final int self;
    private final ReplicaCore core;
    private final Set<Flaw> flaws;
    private final Observer observer;
    private final Admission<Admitted> admission = new Admission<>(MAX_BATCH);
    private final Map<Long, Admitted> unstamped = new HashMap<>();
    /** Client operations stamped and not executed yet, by token. */
    private final Map<Long, RequestId> stamped = new HashMap<>();
    /** Of those, the ones whose stamping record no force has covered yet (no early answer for them). */
    private final Set<Long> stampedUnforced = new HashSet<>();
    /** Per peer: the highest link number whose receipt is forced (what {@link #durableFrom} reports). */
    private final Map<Integer, Long> durableHeld = new TreeMap<>();
    /** Per peer: the last wall clock it reported, and when ({@link #peerTime}). */
    private final Map<Integer, ClusterTime.Reading> peerClocks = new TreeMap<>();
    // The round being built.
    private final List<byte[]> records = new ArrayList<>();
    private final Map<Integer, List<Outgoing>> outbox = new TreeMap<>();
    private final Map<Integer, List<ViewMessage>> viewOutbox = new TreeMap<>();
    private final List<Answer> answers = new ArrayList<>();
    private final List<Answer> earlyAnswers = new ArrayList<>();
    private final List<Refusal> refusals = new ArrayList<>();
    /** Records were handed out (or are waiting to be) that no force has covered yet. */
    private boolean unforced;
    /** A view record was written this round: it is forced even if nothing leaves. */
    private boolean forceThisRound;
    /** Recovered from disk and not forced since: the first round forces before anything leaves. */
    private boolean forceFirst;
    /** The Ready handed out and not committed yet. */
    private Ready handedOut;
    private long nextToken = 1;
    /** The token being stamped right now, and whether it executed within its own stamping. */
    private long stamping;
    private boolean executedAtOnce;
    /** Ordering messages are being taken in: what executes now executed on an OK, REQUEST or APPLY. */
    private boolean ordering;
    /** The token of this replica's {@link Operation.Expire} on its way, 0 if none. */
    private long expiryToken;

    private Node(int self, ReplicaCore core, Set<Flaw> flaws, Observer observer) {
        this.self = self;
        this.flaws = flaws.isEmpty() ? Set.of() : EnumSet.copyOf(flaws);
        this.observer = observer;
        this.core = core;
        for (int peer : core.members()) {
            if (peer != self) {
                durableHeld.put(peer, core.heldFrom(peer));
            }
        }
    }

    /**
     * A replica with an empty disk. Its first record states its {@link Agreement}.
     *
     * @param flaws empty, except in tests that put a fixed bug back
     */
    public static Node fresh(int self, Agreement agreement, Set<Flaw> flaws, Observer observer) {
        Recovery recovery = new Recovery(self, agreement, Optional.empty(), flaws, observer);
        return recovery.finish();
    }

    /**
     * A replica started on an empty disk, which cannot tell a brand-new cluster from one that
     * knew it before it lost its disk: it draws {@code incarnation} (random, from the owner),
     * votes in no view change and serves nobody until every other replica says the cluster is
     * new, or until it has been added to a view again ({@link Membership}).
     */
    public static Node empty(int self, Agreement agreement, long incarnation, Set<Flaw> flaws, Observer observer) {
        return new Recovery(self, agreement, Optional.empty(), flaws, observer).finish(incarnation);
    }

    /**
     * Rebuilds a replica from its disk: the snapshot (if any) now, then each later log record
     * through {@link Recovery#replay}, then {@link Recovery#finish}.
     *
     * @throws Agreement.Mismatch if the snapshot was taken under another configuration
     * @throws IllegalStateException if the snapshot is unreadable or belongs to another replica
     */
    public static Recovery recover(int self, Agreement configured, Optional<byte[]> snapshot, Set<Flaw> flaws,
                                   Observer observer) {
        return new Recovery(self, configured, snapshot, flaws, observer);
    }

    /** Replays a replica's log into its state; answers nobody and sends nothing. */
    public static final class Recovery {
        private final boolean fromSnapshot;
        private final Node node;
        private long replayed;

        private Recovery(int self, Agreement configured, Optional<byte[]> snapshot, Set<Flaw> flaws,
                         Observer observer) {
            this.fromSnapshot = snapshot.isPresent();
            Output output = new Output();
            ReplicaCore core = snapshot.isPresent()
                    ? ReplicaCore.restore(snapshot.get(), configured.clientExpiryMillis(), flaws, output)
                    : new ReplicaCore(self, configured.members(), configured.clientExpiryMillis(), flaws, output);
            if (core.self() != self) {
                throw new IllegalStateException("the snapshot is of replica " + core.self() + ", not of replica " + self);
            }
            core.checkAgreement(configured, "the snapshot");
            // What the snapshot holds is durable; what replay adds may exist only in the page cache.
            this.node = new Node(self, core, flaws, observer);
            output.node = node;
        }

        /**
         * Re-applies one log record, in log order.
         *
         * @throws Agreement.Mismatch if the log was started under another configuration (a log
         *     written before the agreement was recorded has nothing to compare with)
         */
        public void replay(byte[] record) {
            replayed++;
            node.core.replay(record);
        }

        public long replayed() {
            return replayed;
        }

        public boolean fromSnapshot() {
            return fromSnapshot;
        }

        /**
         * As {@link #finish()}, but a replica whose disk turned out empty starts as one that cannot
         * tell a brand-new cluster from one that knew it ({@link Node#empty}), with {@code incarnation}.
         */
        public Node finish(long incarnation) {
            boolean empty = !fromSnapshot && replayed == 0;
            Node n = finish();
            if (empty) {
                n.core.recordFresh(incarnation);
            }
            return n;
        }

        /** The node, ready for its first round: it forces before anything it replayed leaves. */
        public Node finish() {
            if (!fromSnapshot && replayed == 0) {
                node.core.recordAgreement();        // a fresh log: its first record
            } else if (node.flaws.contains(Flaw.RESTART_WITHOUT_FORCE)) {
                // The bug put back: the replayed records are taken as durable and re-sent at once.
                node.durableHeld.replaceAll((peer, held) -> node.core.heldFrom(peer));
            } else {
                node.forceFirst = true;
                node.unforced = true;
            }
            for (int peer : node.durableHeld.keySet()) {
                List<Outgoing> backlog = node.core.unconfirmed(peer);
                if (!backlog.isEmpty()) {
                    node.outbox.put(peer, new ArrayList<>(backlog));
                }
            }
            return node;
        }
    }

    // ---- inputs --------------------------------------------------------------------------------

    /**
     * A client's operation arrives; it is stamped at the end of a round, once Admission lets it.
     * Returns the token its answer will carry.
     */
    public long submit(Operation op, long clientId, long seq) {
        long token = nextToken++;
        if (!core.membership().ordering()) {
            refusals.add(new Refusal(token, false, core.membership().whyNotServing()));
            return token;
        }
        Admitted a = new Admitted(token, op, clientId, seq);
        unstamped.put(token, a);
        admission.add(a);
        return token;
    }

    /**
     * The client of {@code token} gives up. If its operation was never stamped it is taken back
     * and will never be applied; otherwise it may still be.
     */
    public Withdrawal withdraw(long token) {
        Admitted a = unstamped.remove(token);
        if (a != null) {
            if (!admission.withdraw(a)) {
                throw new IllegalStateException("operation " + token + " was unstamped but not in admission");
            }
            return Withdrawal.NOT_STAMPED;
        }
        return stamped.containsKey(token) ? Withdrawal.STAMPED : Withdrawal.UNKNOWN;
    }

    /**
     * Messages of the link from {@code from}, numbered from {@code firstSeq}: each one not held yet
     * is taken in, in order (rules 2, 3, 5); a gap ends the batch (the sender re-sends from what is
     * held). Returns the highest number held; {@link #durableFrom} says how much of it is forced.
     */
    public long receive(int from, long firstSeq, List<PeerMessage> messages) {
        return receive(from, core.membership().view().number(), firstSeq, messages);
    }

    /**
     * As above, for messages sent in view {@code viewNumber}: only those of this replica's own view
     * are taken, and only while it orders (rule V1); then the highest number held is of no use to
     * the sender, whose link is of another incarnation.
     */
    public long receive(int from, long viewNumber, long firstSeq, List<PeerMessage> messages) {
        core.heardView(from, viewNumber);
        for (int k = 0; k < messages.size(); k++) {
            ReplicaCore.Receipt r = receive(from, viewNumber, firstSeq + k, messages.get(k));
            if (r == ReplicaCore.Receipt.GAP || r == ReplicaCore.Receipt.OTHER_VIEW) {
                break;
            }
        }
        return core.heldFrom(from);
    }

    /** One message of the link from {@code from}: what became of it (a duplicate or a gap changes nothing). */
    public ReplicaCore.Receipt receive(int from, long seq, PeerMessage message) {
        return receive(from, core.membership().view().number(), seq, message);
    }

    /** One message of the link from {@code from}, sent in view {@code viewNumber}. */
    public ReplicaCore.Receipt receive(int from, long viewNumber, long seq, PeerMessage message) {
        ordering = true;
        ReplicaCore.Receipt receipt;
        try {
            receipt = core.received(from, viewNumber, seq, message);
        } finally {
            ordering = false;
        }
        if (receipt == ReplicaCore.Receipt.REFUSED) {
            observer.refused(from, seq, message);
        }
        return receipt;
    }

    /** The highest link number from {@code peer} held here. */
    public long heldFrom(int peer) {
        return core.heldFrom(peer);
    }

    /** The highest link number from {@code peer} whose receipt is forced: the peer may forget up to it. */
    public long durableFrom(int peer) {
        long held = core.heldFrom(peer);
        if (flaws.contains(Flaw.DURABLE_WHEN_HELD)) {
            return held;
        }
        return Math.min(held, durableHeld.getOrDefault(peer, 0L));
    }

    /** {@code peer} holds our link durably up to {@code durable}: stop keeping those messages. */
    public void confirmed(int peer, long durable) {
        core.confirmed(peer, durable);
    }

    /** As above, for the link's incarnation of view {@code viewNumber}; one of an older view is void. */
    public void confirmed(int peer, long viewNumber, long durable) {
        if (viewNumber == core.membership().view().number()) {
            core.confirmed(peer, durable);
        }
    }

    /**
     * {@code peer} reported its wall clock (on its latest batch), which arrived at this replica's
     * monotonic time {@code ownMonoMillis}: an input to {@link ClusterTime}.
     */
    public void peerTime(int peer, long peerWallMillis, long ownMonoMillis) {
        if (durableHeld.containsKey(peer)) {
            peerClocks.put(peer, new ClusterTime.Reading(peerWallMillis, ownMonoMillis));
        }
    }

    /** An internal event (the {@code tick} command). Returns the new clock. */
    public long tick() {
        return core.tick();
    }

    /** A view message from {@code from} (rules V2-V7). */
    public void viewMessage(int from, ViewMessage message) {
        core.viewMessage(from, message);
    }

    /**
     * The owner's view timer, a few times per {@code view.suspect.seconds}: {@code heard} are the
     * replicas heard from within that time (each counts as heard for that long after this replica
     * starts), {@code random} a fresh random number, for back-off.
     */
    public void viewTimer(Set<Integer> heard, long random) {
        core.viewTimer(heard, random);
    }

    /**
     * The owner's expiry timer, several times a second. Leases end in the order's time
     * ({@link Locks}), which moves only when an operation is applied; so when a lease or a wait
     * in the lock table has ended by this replica's estimate of the cluster's time, and the order
     * has not moved past it, the view's lowest member writes an {@link Operation.Expire}: an
     * operation that carries nothing but its time. One at a time; the other members stay quiet,
     * and take over when a view change makes one of them the lowest.
     *
     * @return whether it submitted one
     */
    public boolean expiryTimer(long wallMillis, long monoMillis) {
        if (expiryToken != 0 && (unstamped.containsKey(expiryToken) || stamped.containsKey(expiryToken))) {
            return false;
        }
        expiryToken = 0;
        if (flaws.contains(Flaw.EXPIRE_BY_LOCAL_CLOCK)) {
            long local = clusterTime(wallMillis, monoMillis);
            if (local != ClusterTime.UNKNOWN) {
                core.state().locks().expire(local);
            }
            return false;
        }
        Membership m = core.membership();
        if (!m.ordering() || m.view().members().stream().mapToInt(Integer::intValue).min().orElse(self) != self) {
            return false;
        }
        long deadline = core.state().locks().nextDeadline();
        long now = clusterTime(wallMillis, monoMillis);
        if (deadline == Long.MAX_VALUE || now == ClusterTime.UNKNOWN || now <= deadline) {
            return false;
        }
        expiryToken = submit(new Operation.Expire(), 0, 0);
        return true;
    }

    /** The view this replica is in, and where it stands in it. */
    public Membership membership() {
        return core.membership();
    }

    // ---- the round -----------------------------------------------------------------------------

    /**
     * Ends the round: stamps the operations Admission lets through, then decides whether to force
     * and hands everything to the owner. The owner must do what it says and call {@link #committed}
     * before the next round ends.
     *
     * @param wallMillis     the owner's wall clock, and
     * @param monoMillis     its monotonic clock (both for the requests' {@link ClientTag#wallMillis})
     * @param forceRequested force even if nothing leaves: records have waited long enough, or
     *                       someone waits to hear that the round is durable
     */
    public Ready ready(long wallMillis, long monoMillis, boolean forceRequested) {
        if (handedOut != null) {
            throw new IllegalStateException("replica " + self + ": the previous round was not committed");
        }
        List<Admitted> batch = core.membership().ordering() ? admission.next(core.state().pendingFrom(self)) : List.of();
        if (!batch.isEmpty()) {
            long time = flaws.contains(Flaw.EXPIRY_BY_ORIGIN_CLOCK) ? wallMillis : clusterTime(wallMillis, monoMillis);
            for (Admitted a : batch) {
                unstamped.remove(a.token());
                // Every operation carries the cluster's time, so that leases and client records end by the order.
                ClientTag tag = new ClientTag(a.clientId(), a.clientId() == 0 ? 0 : a.seq(), time);
                // Alone, a replica executes (and answers) it within this call.
                stamping = a.token();
                executedAtOnce = false;
                RequestId id = core.clientOperation(a.op(), tag, a.token());
                stamping = 0;
                if (!executedAtOnce) {
                    stamped.put(a.token(), id);
                    stampedUnforced.add(a.token());
                }
            }
        }
        boolean dirty = unforced || !records.isEmpty();
        boolean leaves = !outbox.isEmpty() || !answers.isEmpty() || !earlyAnswers.isEmpty() || !viewOutbox.isEmpty()
                || !refusals.isEmpty();
        boolean force = !flaws.contains(Flaw.NEVER_FORCE)
                && (forceFirst || dirty && (leaves || forceRequested || forceThisRound));
        // A round whose outputs are early answers and APPLYs alone need not force now: see deferrable().
        boolean deferred = force && deferrable(forceRequested);
        if (deferred) {
            force = false;
        }
        forceThisRound = false;
        Map<Integer, Long> held = new TreeMap<>();
        for (int peer : durableHeld.keySet()) {
            held.put(peer, core.heldFrom(peer));
        }
        if (!force) {
            // Nothing to force (no record since the last force): every answer is as good as late.
            answers.addAll(0, earlyAnswers);
            earlyAnswers.clear();
        }
        Ready ready = new Ready(records, force, deferred ? Map.of() : outbox, earlyAnswers, answers, held,
                core.membership().view().number(), viewOutbox, refusals);
        records.clear();
        if (!deferred) {
            outbox.clear();
        }
        answers.clear();
        earlyAnswers.clear();
        viewOutbox.clear();
        refusals.clear();
        unforced = dirty;
        handedOut = ready;
        return ready;
    }

    /**
     * Whether this round's force may wait for the next round that forces. Yes when everything it
     * would hand on is early answers ({@link Ready#earlyAnswers}: their operations' stamping
     * records were forced in earlier rounds) and APPLYs: the answers go now, as the one permitted
     * early answer allows before any force; the APPLYs, which must wait for a force, stay in the
     * outbox and leave after the next one, with whatever that round sends. Nobody asked for a
     * force, and no other output waits on this one (no OK, REQUEST, late answer, view message
     * or refusal).
     *
     * <p>Why: at one client this round executes the last operation, and its answer brings the
     * next operation about one round trip later, while this round's force would still be running;
     * the next operation's stamping force then waited for it. Deferred, one force covers both.
     * The owner's loop bounds the wait ({@link #holdsMessages}). {@link Flaw#DEFER_ANY_ANSWER}
     * drops the condition on the answers, and the crash simulation catches it.
     */
    private boolean deferrable(boolean forceRequested) {
        if (!DEFER_FORCE || forceRequested || forceFirst || forceThisRound || !viewOutbox.isEmpty()
                || !refusals.isEmpty()) {
            return false;
        }
        if (!flaws.contains(Flaw.DEFER_ANY_ANSWER) && (earlyAnswers.isEmpty() || !answers.isEmpty())) {
            return false;
        }
        for (List<Outgoing> messages : outbox.values()) {
            for (Outgoing m : messages) {
                if (!(m.message() instanceof PeerMessage.ApplyMsg)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * {@link #deferrable} on (the default) or off: {@code -Dlamportkv.deferForce=false} (to measure what it does).
     */
    static final boolean DEFER_FORCE = !"false".equals(System.getProperty("lamportkv.deferForce"));

    /** Whether messages wait in the outbox for a force (a deferred round's APPLYs): the owner forces soon. */
    public boolean holdsMessages() {
        return !outbox.isEmpty();
    }

    /** The owner did what {@code ready} asked: appended its records and, if asked, forced them. */
    public void committed(Ready ready) {
        if (ready != handedOut) {
            throw new IllegalStateException("replica " + self + ": committed a round that was not the last one handed out");
        }
        handedOut = null;
        // The flaw: the round's outputs left without a force, as if it had forced.
        if (ready.force() || flaws.contains(Flaw.NEVER_FORCE)) {
            if (ready.viewNumber() == core.membership().view().number()) {
                durableHeld.putAll(ready.heldWhenReady());
            }
            stampedUnforced.clear();        // every stamping record handed out so far is forced now
            unforced = false;
            forceFirst = false;
        }
    }

    /** Journal records of the round being built, not handed out yet (a crash now loses them). */
    public int pendingRecords() {
        return records.size();
    }

    /** Whether records wait for a force (for the owner's time limit on unforced records). */
    public boolean unforced() {
        return unforced || !records.isEmpty();
    }


    /**
     * The whole state, to be stored as a snapshot. Only right after a forced round: a snapshot
     * must never be ahead of the log.
     */
    public byte[] snapshot() {
        if (handedOut != null || unforced()) {
            throw new IllegalStateException("replica " + self + ": a snapshot only right after a forced round");
        }
        core.state().checkIndexes();
        return core.snapshot();
    }

    // ---- reads ---------------------------------------------------------------------------------

    public int self() {
        return self;
    }

    /** The deterministic state, to read (status, dashboard, checks); change it only through this class. */
    public ReplicaCore core() {
        return core;
    }

    /**
     * The replicas the operation of {@code token} waits for: if unstamped, those its replica's own
     * earlier requests wait for; if stamped, those its request waits for. Empty if not pending.
     */
    public java.util.SortedSet<Integer> waitingFor(long token) {
        if (unstamped.containsKey(token)) {
            return core.ordering().waitingForOwnRequests();
        }
        RequestId id = stamped.get(token);
        return id == null ? new java.util.TreeSet<>() : core.ordering().waitingFor(id);
    }

    /** Client operations waiting to be stamped. */
    public int unstampedCount() {
        return admission.size();
    }

    /** The time this replica would stamp now: see {@link ClusterTime}. */
    public long clusterTime(long wallMillis, long monoMillis) {
        return ClusterTime.estimate(wallMillis, monoMillis, peerClocks.values(), durableHeld.size() + 1);
    }

    // ---- views -----------------------------------------------------------------------------------

    private void refuseUnstamped() {
        String why = core.membership().whyNotServing();
        for (Admitted a : List.copyOf(unstamped.values())) {
            withdraw(a.token());
            refusals.add(new Refusal(a.token(), false, why.isEmpty() ? "replica " + self + " is changing views" : why));
        }
    }

    /**
     * In a new view every link starts again, so what was queued for the old one is void, and
     * every operation stamped here is settled: applied at the install (answered already), or
     * dropped (it never executed, and never will), or, if this replica left, in others' hands.
     */
    private void viewChanged(Decision next, boolean installed) {
        outbox.clear();
        durableHeld.replaceAll((peer, held) -> 0L);
        boolean nextAfterOwn = next.number() == core.membership().view().number() + 1;
        for (Map.Entry<Long, RequestId> e : List.copyOf(stamped.entrySet())) {
            RequestId id = e.getValue();
            boolean mayBeApplied = !installed && (!nextAfterOwn || next.kept().stream().anyMatch(r -> r.id().equals(id))
                    || next.lastApplied().isPresent() && id.compareTo(next.lastApplied().get()) <= 0);
            String why = installed
                    ? "replica " + self + " changed views and its operation was in no report of the majority:"
                    + " it never executed"
                    : "replica " + self + " left " + core.membership().view() + " for " + next.view()
                    + (mayBeApplied ? ", where its operation may be applied" : "");
            refusals.add(new Refusal(e.getKey(), mayBeApplied, why));
        }
        stamped.clear();
        stampedUnforced.clear();
        if (!installed || !next.view().has(self)) {
            refuseUnstamped();
        }
    }

    // ---- the core's effects, gathered for the round --------------------------------------------

    /** Set once the node exists: restoring a snapshot journals nothing, so no effect comes earlier. */
    private static final class Output implements ReplicaCore.Output {
        private Node node;

        @Override
        public void record(byte[] record) {
            node.records.add(record);
        }

        @Override
        public void send(int to, long seq, PeerMessage message) {
            node.outbox.computeIfAbsent(to, k -> new ArrayList<>()).add(new Outgoing(seq, message));
            node.observer.sent(to, seq, message);
        }

        @Override
        public void executed(long clientToken, Request request, Result result) {
            if (clientToken > 0 && clientToken == node.stamping) {
                node.executedAtOnce = true;
                (node.flaws.contains(Flaw.EARLY_ANSWER_UNFORCED_STAMP) ? node.earlyAnswers : node.answers)
                        .add(new Answer(clientToken, request, result));
            } else if (clientToken > 0 && node.stamped.remove(clientToken) != null) {
                boolean stampForced = !node.stampedUnforced.remove(clientToken);
                boolean early = node.ordering && stampForced || node.flaws.contains(Flaw.EARLY_ANSWER_UNFORCED_STAMP);
                (early ? node.earlyAnswers : node.answers).add(new Answer(clientToken, request, result));
            }
        }

        @Override
        public void applied(Request request, Result result) {
            node.observer.applied(request, result);
        }

        @Override
        public void received(int from, long seq, PeerMessage message, long clock) {
            node.observer.received(from, seq, message, clock);
        }

        @Override
        public void sendView(int to, ViewMessage message) {
            node.viewOutbox.computeIfAbsent(to, k -> new ArrayList<>()).add(message);
        }

        @Override
        public void forceRound() {
            node.forceThisRound = true;
        }

        @Override
        public void stopped() {
            // Rule V3: nothing more is stamped in this view; whoever waits to be stamped may go elsewhere.
            node.refuseUnstamped();
        }

        @Override
        public void viewChanged(Decision next, boolean installed) {
            node.viewChanged(next, installed);
        }
    }
}
