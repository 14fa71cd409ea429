package lamportkv.core;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which view a replica is in, and how views change (PROTOCOL.md, "Views", rules V1-V7): the
 * acceptor and proposer of single-decree Paxos per view number, joining, and the state transfer
 * to a replica added without its state. Pure, like the ordering core: inputs are method calls
 * (messages, the owner's timer with whom it heard from), outputs go to the {@link Host}.
 *
 * <p>The rules, each in one place:
 * <ul>
 *   <li><b>V2, one view per number.</b> View {@code n+1} is chosen by a majority of the configured
 *       replicas: {@link #onPrepare}, {@link #onAccept} (acceptor, its state journaled, so forced
 *       before any answer leaves) and {@link Proposal} (proposer: re-proposes the highest-ballot
 *       value already accepted).</li>
 *   <li><b>V3, stop, then report.</b> Promising stops ordering in the current view, durably,
 *       before the report goes out ({@link #promise}).</li>
 *   <li><b>V4, the flush.</b> {@link Flush}; {@link Host#install} applies it.</li>
 *   <li><b>V6, rejoin and re-seed.</b> A replica outside its view, or in it without the state,
 *       asks to be added ({@link ViewMessage.Join}); once added it fetches the state in chunks
 *       ({@link #onStateChunk}). A replica that started on an empty disk does not vote until it
 *       is added again, unless every other replica says the cluster is brand new
 *       ({@link ViewMessage.Probe}).</li>
 *   <li><b>V7, when.</b> {@link #timer}: a member that has not heard from another member for the
 *       suspicion time proposes a view without it; a stopped member whose view change stalls
 *       proposes after a random back-off; a member that hears a replica asking to be added
 *       proposes a view with it.</li>
 * </ul>
 *
 * <p>What is durable: the incarnation, the current view's {@link Decision}, whether this replica
 * holds that view's state, whether it votes, whether it is stopped, the promised ballot, the
 * accepted value, the state chunks received. Each change is a journal record written through the
 * host; {@link #replay} re-applies it. The proposer and what was heard are volatile.
 */
public final class Membership {

    /** Where a replica stands. */
    public enum Condition {
        /** A member of its view with the state: orders operations. */
        MEMBER,
        /** A member that has promised in a view change (stopped): orders nothing until the next view. */
        CHANGING,
        /** Not a member of its view: asks to be added. */
        EXCLUDED,
        /** In its view but without the state (it lost it): asks to be added again. */
        JOINING,
        /** Added by its view without the state: fetching it from a member. */
        AWAITING_STATE,
        /** Started on an empty disk: asking the others whether the cluster is brand new. */
        UNPROVEN
    }

    /** What membership asks of the replica's state. */
    interface Host {
        /** Journal a view record (its body written by {@code writer}); not called during replay. */
        void journal(ReplicaCore.RecordWriter writer);

        /** Send a view message; not called during replay. */
        void send(int to, ViewMessage message);

        /** This replica's report, for a {@link ViewMessage.Promise}. */
        Report report(long incarnation, long viewNumber, boolean contributes);

        /** Stopped ordering in the current view (rule V3). */
        void stopped();

        /** Install {@code next} by the flush (V4); this replica held the previous view's state. */
        void install(Decision next);

        /** Now in view {@code next} without its state (outside it, or to receive it). */
        void leave(Decision next);

        /** The state at the start of the current view, to send a joiner; empty if it moved on. */
        Optional<byte[]> exportState(long startApplied);

        /** Replace the state with one received at the start of {@code view}. */
        void importState(byte[] state, Decision view);

        /**
         * Whether this replica's state is exactly where {@code next} starts its flush from: the same
         * number of requests applied, the same last one (one order, so the same state).
         */
        boolean startsFrom(Decision next);

        /** Whether this replica has never heard from, nor sent anything to, {@code replica}. */
        boolean neverHeardFrom(int replica);
    }

    /** The largest chunk of a state transfer: well under the 8 MiB batch limit. */
    public static final int CHUNK_BYTES = 4 << 20;
    /** Timer ticks a proposal may take before it is given up and retried with a higher ballot. */
    static final int PATIENCE_TICKS = 8;
    /** Timer ticks a proposer waits for the promises of every replica it heard from, beyond a majority. */
    static final int WAIT_FOR_ALL_TICKS = 2;
    /** Timer ticks a join request counts for. */
    static final int JOIN_TICKS = 4;

    private static final byte FRESH = 1, PROMISE = 2, ACCEPT = 3, INSTALL = 4, LEARN = 5, CHUNK = 6, PROVEN = 7;

    private final int self;
    private final List<Integer> configured;
    private final Set<Flaw> flaws;
    private final Host host;

    // ---- durable --------------------------------------------------------------------------------
    /** Drawn on an empty disk; 0 for a replica whose disk predates views. */
    private long incarnation;
    private Decision decision;
    /** Whether this replica holds the state of {@link #decision}'s view. */
    private boolean hasState = true;
    /** Whether it may promise and accept: its disk holds every promise it made. */
    private boolean voter = true;
    /** Started on an empty disk and not yet told whether the cluster is brand new. */
    private boolean probing;
    /** Promised in a view change: no ordering until the next view. */
    private boolean stopped;
    private Ballot promised = Ballot.NONE;
    private Optional<ViewMessage.Prior> accepted = Optional.empty();
    private final List<byte[]> chunks = new ArrayList<>();
    /**
     * The incarnations that said the cluster was brand new when this replica proved it, itself
     * included: such an incarnation, still asking, has never voted, so it may be told the same.
     */
    private final Map<Integer, Long> founders = new TreeMap<>();

    // ---- volatile -------------------------------------------------------------------------------
    private Proposal proposal;
    private long ticks;
    private long highestRound;
    private long backoffUntil;
    private boolean backoffDue;
    private long stoppedAtTick;
    /** A replica asking to be added: which incarnation, at which tick it last asked. */
    private record JoinRequest(long incarnation, long tick) {
    }

    private final Map<Integer, JoinRequest> joinRequests = new TreeMap<>();
    private final Map<Integer, Long> peerViews = new TreeMap<>();
    private final Map<Integer, Long> brandNewSaid = new TreeMap<>();
    private SortedSet<Integer> heard;
    private Optional<byte[]> exported = Optional.empty();
    private final ArrayDeque<ViewMessage> toSelf = new ArrayDeque<>();
    /** The replica whose chunks completed the last state this replica received (0: none yet; for the log). */
    private int stateFrom;
    private boolean draining;
    private boolean replaying;

    Membership(int self, List<Integer> configured, Set<Flaw> flaws, Host host) {
        this.self = self;
        this.configured = List.copyOf(configured);
        this.flaws = flaws.isEmpty() ? Set.of() : EnumSet.copyOf(flaws);
        this.host = host;
        this.decision = Decision.first(configured);
        this.heard = new TreeSet<>(Set.of(self));
    }

    // ---- reads ----------------------------------------------------------------------------------

    public View view() {
        return decision.view();
    }

    public Decision decision() {
        return decision;
    }

    public boolean voter() {
        return voter;
    }

    public Ballot promised() {
        return promised;
    }

    public Condition condition() {
        if (probing) {
            return Condition.UNPROVEN;
        }
        if (!decision.view().has(self)) {
            return Condition.EXCLUDED;
        }
        if (!hasState) {
            return decision.joins(self, incarnation) ? Condition.AWAITING_STATE : Condition.JOINING;
        }
        return stopped ? Condition.CHANGING : Condition.MEMBER;
    }

    /** Whether ordering runs here: a member with the state, not stopped. */
    public boolean ordering() {
        return condition() == Condition.MEMBER;
    }

    /** The replica that sent the last state this replica received, if any (for the log). */
    public int stateFrom() {
        return stateFrom;
    }

    /** Why this replica takes no client operation now, in one line (empty while it does). */
    public String whyNotServing() {
        int need = View.majority(configured.size());
        boolean cutOff = heard.size() < need;
        String reaches = "it reaches " + heard.size() + " of " + configured.size() + " replicas, a view needs " + need;
        String notWorking = "replica " + self + " is not in a working view: ";
        return switch (condition()) {
            case MEMBER -> "";
            case CHANGING -> cutOff ? notWorking + reaches
                    : "replica " + self + " is changing views (from " + decision.view() + ")";
            case EXCLUDED -> notWorking + "it is not a member of " + decision.view()
                    + (cutOff ? "; " + reaches : "; rejoining");
            case JOINING, AWAITING_STATE -> notWorking + "it is rejoining " + decision.view()
                    + (cutOff ? "; " + reaches : "");
            case UNPROVEN -> notWorking + "it started on an empty disk and is asking the other replicas whether the"
                    + " cluster is new" + (cutOff ? "; " + reaches : "");
        };
    }

    // ---- the start of an empty disk -------------------------------------------------------------

    /**
     * The first records of an empty disk: it draws {@code incarnation}, votes in nothing and asks
     * the others whether the cluster is brand new before it takes part.
     */
    void fresh(long incarnation) {
        journal(o -> {
            o.writeByte(FRESH);
            o.writeLong(incarnation);
        });
        applyFresh(incarnation);
    }

    private void applyFresh(long drawn) {
        incarnation = drawn;
        // Alone, there is nobody to ask and nothing to forget: a cluster of one is always new.
        probing = configured.size() > 1;
        hasState = !probing;
        voter = !probing || flaws.contains(Flaw.WIPED_REPLICA_VOTES);
    }

    // ---- inputs ---------------------------------------------------------------------------------

    /** {@code from} says it is in view {@code viewNumber} (on every batch of its link). */
    void heardView(int from, long viewNumber) {
        peerViews.put(from, viewNumber);       // the latest: a replica that lost its disk starts again at 0
    }

    /**
     * The owner's timer, a few times per suspicion time: {@code heardNow} are the replicas heard
     * from within the suspicion time, {@code random} a fresh random number (for back-off).
     */
    void timer(Set<Integer> heardNow, long random) {
        ticks++;
        TreeSet<Integer> h = new TreeSet<>(heardNow);
        h.retainAll(configured);
        h.add(self);
        heard = h;
        if (backoffDue) {
            backoffDue = false;
            backoffUntil = ticks + 1 + Math.floorMod(random, 4);
        }
        switch (condition()) {
            case UNPROVEN -> {
                for (int r : configured) {
                    if (r != self) {
                        send(r, new ViewMessage.Probe(incarnation));
                    }
                }
            }
            case EXCLUDED, JOINING -> {
                for (int r : heard) {
                    if (r != self) {
                        send(r, new ViewMessage.Join(decision.number(), incarnation));
                    }
                }
            }
            case AWAITING_STATE -> {
                // Any replica may hold the view's start: its other members, or one that computed it.
                List<Integer> holders = heard.stream().filter(r -> r != self).toList();
                if (!holders.isEmpty()) {
                    int from = holders.get((int) Math.floorMod(ticks, (long) holders.size()));
                    send(from, new ViewMessage.StateRequest(decision.number(), chunks.size()));
                }
            }
            case MEMBER -> {
                boolean silent = decision.view().members().stream().anyMatch(m -> !heard.contains(m));
                if ((silent || !wantIn().isEmpty()) && ticks >= backoffUntil) {
                    propose(random);
                }
            }
            case CHANGING -> {
                if (proposal != null) {
                    proposal.tick();
                } else if (ticks >= backoffUntil && ticks - stoppedAtTick > 2 + Math.floorMod(random, 4)) {
                    propose(random);     // the view change this replica promised in has stalled
                }
            }
        }
        // Tell every replica heard from in an older view which view this is.
        if (hasState || condition() == Condition.AWAITING_STATE) {
            for (int r : heard) {
                if (r != self && peerViews.getOrDefault(r, decision.number()) < decision.number()) {
                    send(r, new ViewMessage.Decided(decision));
                }
            }
        }
        drain();
    }

    /** A view message from {@code from} (possibly this replica itself). */
    void received(int from, ViewMessage m) {
        if (m instanceof ViewMessage.Prepare p) {
            onPrepare(from, p);
        } else if (m instanceof ViewMessage.Promise p) {
            if (proposal != null) {
                proposal.promised(from, p);
            }
        } else if (m instanceof ViewMessage.Accept a) {
            onAccept(from, a);
        } else if (m instanceof ViewMessage.Accepted a) {
            if (proposal != null) {
                proposal.accepted(from, a);
            }
        } else if (m instanceof ViewMessage.Refused r) {
            highestRound = Math.max(highestRound, r.promised().round());
            if (proposal != null && r.slot() == proposal.slot && r.promised().above(proposal.ballot)) {
                proposal = null;                // give way; try again after a random back-off
                backoffDue = true;
            }
        } else if (m instanceof ViewMessage.Decided d) {
            onDecided(d.decision());
        } else if (m instanceof ViewMessage.Join j) {
            onJoin(from, j);
        } else if (m instanceof ViewMessage.Probe p) {
            boolean untouched = decision.number() == 0 && promised.equals(Ballot.NONE) && accepted.isEmpty()
                    && host.neverHeardFrom(from) && !joinRequests.containsKey(from);
            boolean founder = founders.getOrDefault(from, 0L) == p.incarnation() && p.incarnation() != 0;
            send(from, new ViewMessage.ProbeReply(untouched || founder, incarnation, decision));
            if (probing && !brandNewSaid.containsKey(from)) {
                send(from, new ViewMessage.Probe(incarnation));     // both new: ask back, so both learn at once
            }
        } else if (m instanceof ViewMessage.ProbeReply r) {
            onProbeReply(from, r);
        } else if (m instanceof ViewMessage.StateRequest r) {
            onStateRequest(from, r);
        } else if (m instanceof ViewMessage.StateChunk c) {
            onStateChunk(from, c);
        }
        drain();
    }

    // ---- the acceptor (V2, V3) ------------------------------------------------------------------

    private long slot() {
        return decision.number() + 1;
    }

    private void onPrepare(int from, ViewMessage.Prepare p) {
        if (!voter) {
            return;                                  // lost its promises with its disk (V6)
        }
        if (p.slot() < slot()) {
            send(from, new ViewMessage.Decided(decision));      // the proposer missed a view
            return;
        }
        if (p.slot() > slot()) {
            return;                                  // this replica missed a view: it will be told
        }
        if (p.ballot().compareTo(promised) < 0) {
            send(from, new ViewMessage.Refused(slot(), promised));
            return;
        }
        if (p.ballot().above(promised)) {
            promise(p.ballot());
        }
        send(from, new ViewMessage.Promise(slot(), p.ballot(), accepted,
                host.report(incarnation, decision.number(), hasState && decision.view().has(self))));
    }

    /** Rule V3: promise, and stop ordering in this view; both journaled before the promise leaves. */
    private void promise(Ballot ballot) {
        long s = slot();
        journal(o -> {
            o.writeByte(PROMISE);
            o.writeLong(s);
            ViewCodec.writeBallot(o, ballot);
        });
        applyPromise(ballot);
    }

    private void applyPromise(Ballot ballot) {
        promised = ballot;
        stop();
    }

    private void stop() {
        if (!stopped && !flaws.contains(Flaw.NO_STOP_ON_PROMISE)) {
            stopped = true;
            stoppedAtTick = ticks;
            host.stopped();
        }
    }

    private void onAccept(int from, ViewMessage.Accept a) {
        if (!voter || a.slot() != slot()) {
            if (voter && a.slot() < slot()) {
                send(from, new ViewMessage.Decided(decision));
            }
            return;
        }
        if (a.ballot().compareTo(promised) < 0) {
            send(from, new ViewMessage.Refused(slot(), promised));
            return;
        }
        if (!(accepted.isPresent() && accepted.get().ballot().equals(a.ballot()))) {
            long s = slot();
            journal(o -> {
                o.writeByte(ACCEPT);
                o.writeLong(s);
                ViewCodec.writeBallot(o, a.ballot());
                ViewCodec.writeDecision(o, a.value());
            });
            applyAccept(a.ballot(), a.value());
        }
        send(from, new ViewMessage.Accepted(slot(), a.ballot()));
    }

    private void applyAccept(Ballot ballot, Decision value) {
        promised = ballot;
        accepted = Optional.of(new ViewMessage.Prior(ballot, value));
        stop();
    }

    // ---- learning a chosen view -----------------------------------------------------------------

    private void onDecided(Decision d) {
        if (probing || d.number() <= decision.number()) {
            return;         // while it asks whether the cluster is new, only the answers count
        }
        // Every member of the view before that holds its state computes the new view's start from
        // it (V4), stopped or not, in the new view or not, listed as a joiner or not; and so does
        // any replica whose state is exactly where the flush starts (nothing executed since). The
        // fewer replicas must fetch the state, the better, and one outside the view can still send it.
        boolean install = hasState && (d.number() == slot() && decision.view().has(self) || host.startsFrom(d));
        enterView(d, install);
    }

    /** Journals and enters view {@code d}: with its state computed here ({@code install}), or without it. */
    private void enterView(Decision d, boolean install) {
        journal(o -> {
            o.writeByte(install ? INSTALL : LEARN);
            ViewCodec.writeDecision(o, d);
        });
        if (install) {
            applyInstall(d);
        } else {
            applyLearn(d);
        }
    }

    // The host is told during replay too: it rebuilds the state, and its own replay answers nobody.

    private void applyInstall(Decision d) {
        host.install(d);
        enter(d);
        hasState = true;
    }

    private void applyLearn(Decision d) {
        host.leave(d);
        enter(d);
        hasState = false;
        probing = false;
    }

    private void enter(Decision d) {
        decision = d;
        stopped = false;
        promised = Ballot.NONE;
        accepted = Optional.empty();
        chunks.clear();
        proposal = null;
        exported = Optional.empty();
        joinRequests.keySet().removeIf(d.view()::has);
    }

    // ---- joining (V6) ---------------------------------------------------------------------------

    private void onJoin(int from, ViewMessage.Join j) {
        if (j.viewNumber() < decision.number()) {
            send(from, new ViewMessage.Decided(decision));      // it is behind: a late join counts for nothing
        } else if (j.viewNumber() == decision.number() && hasState && decision.view().has(self)) {
            joinRequests.put(from, new JoinRequest(j.incarnation(), ticks));
        }
    }

    /** Replicas asking to be added, heard recently, by incarnation. */
    private Map<Integer, Long> wantIn() {
        Map<Integer, Long> want = new TreeMap<>();
        joinRequests.forEach((r, join) -> {
            if (ticks - join.tick() <= JOIN_TICKS && heard.contains(r)) {
                want.put(r, join.incarnation());
            }
        });
        return want;
    }

    private void onProbeReply(int from, ViewMessage.ProbeReply r) {
        if (!probing) {
            return;
        }
        if (!r.brandNew()) {
            // The cluster has a past this replica forgot: it lost its disk. It takes no part until added again.
            enterView(r.current(), false);
            return;
        }
        brandNewSaid.put(from, r.incarnation());
        if (brandNewSaid.size() == configured.size() - 1) {
            Map<Integer, Long> all = new TreeMap<>(brandNewSaid);
            all.put(self, incarnation);
            journal(o -> {
                o.writeByte(PROVEN);
                writeFounders(o, all);
            });
            applyProven(all);
        }
    }

    private static void writeFounders(DataOutput o, Map<Integer, Long> all) throws IOException {
        o.writeInt(all.size());
        for (Map.Entry<Integer, Long> e : all.entrySet()) {
            o.writeInt(e.getKey());
            o.writeLong(e.getValue());
        }
    }

    private static Map<Integer, Long> readFounders(DataInput in) throws IOException {
        Map<Integer, Long> all = new TreeMap<>();
        for (int k = in.readInt(); k > 0; k--) {
            all.put(in.readInt(), in.readLong());
        }
        return all;
    }

    private void applyProven(Map<Integer, Long> all) {
        founders.clear();
        founders.putAll(all);
        probing = false;
        voter = true;
        hasState = true;
    }

    private void onStateRequest(int from, ViewMessage.StateRequest r) {
        if (!hasState || probing || r.viewNumber() != decision.number() || !decision.joins(from)) {
            return;
        }
        if (exported.isEmpty()) {          // the view's start, kept until the next view (enter)
            exported = host.exportState(decision.startApplied());
        }
        if (exported.isEmpty()) {
            return;                                  // it moved on: a bug elsewhere, or the joiner has it
        }
        byte[] all = exported.get();
        int count = Math.max(1, (all.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
        if (r.chunk() < 0 || r.chunk() >= count) {
            return;
        }
        int from0 = r.chunk() * CHUNK_BYTES;
        byte[] part = java.util.Arrays.copyOfRange(all, from0, Math.min(all.length, from0 + CHUNK_BYTES));
        send(from, new ViewMessage.StateChunk(decision.number(), r.chunk(), count, part));
    }

    private void onStateChunk(int from, ViewMessage.StateChunk c) {
        if (condition() != Condition.AWAITING_STATE || c.viewNumber() != decision.number()
                || c.index() != chunks.size()) {
            return;
        }
        journal(o -> {
            o.writeByte(CHUNK);
            o.writeLong(c.viewNumber());
            o.writeInt(c.index());
            o.writeInt(c.count());
            byte[] bytes = c.bytes();
            o.writeInt(bytes.length);
            o.write(bytes);
        });
        applyChunk(c.index(), c.count(), c.bytes());
        if (hasState) {
            stateFrom = from;
            return;
        }
        send(from, new ViewMessage.StateRequest(decision.number(), chunks.size()));
    }

    private void applyChunk(int index, int count, byte[] bytes) {
        if (index != chunks.size()) {
            throw new IllegalStateException("state chunk " + index + " after " + chunks.size() + " chunks");
        }
        chunks.add(bytes);
        if (chunks.size() < count) {
            return;
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] chunk : chunks) {
            all.writeBytes(chunk);
        }
        chunks.clear();
        host.importState(all.toByteArray(), decision);
        hasState = true;
        voter = true;                               // added to a view again: its promises from now on are on its disk
    }

    // ---- the proposer (V2, V4, V7) --------------------------------------------------------------

    private void propose(long random) {
        Ballot ballot = new Ballot(Math.max(promised.round(), highestRound) + 1, self, incarnation);
        highestRound = ballot.round();
        proposal = new Proposal(slot(), ballot, new TreeSet<>(heard), wantIn());
        proposal.sendPrepares();
    }

    /** One proposer's attempt at one view number with one ballot. Volatile: a crash forgets it. */
    private final class Proposal {
        final long slot;
        final Ballot ballot;
        final Set<Integer> heardAtStart;
        final Map<Integer, Long> joiners;
        final Map<Integer, ViewMessage.Promise> promises = new TreeMap<>();
        final Set<Integer> accepts = new TreeSet<>();
        Decision value;
        int ticksTaken;

        Proposal(long slot, Ballot ballot, Set<Integer> heardAtStart, Map<Integer, Long> joiners) {
            this.slot = slot;
            this.ballot = ballot;
            this.heardAtStart = heardAtStart;
            this.joiners = joiners;
        }

        int quorum() {
            return flaws.contains(Flaw.MINORITY_VIEW) ? 1 : View.majority(configured.size());
        }

        void sendPrepares() {
            for (int r : configured) {
                if (!promises.containsKey(r)) {
                    send(r, new ViewMessage.Prepare(slot, ballot));
                }
            }
        }

        void sendAccepts() {
            for (int r : configured) {
                if (!accepts.contains(r)) {
                    send(r, new ViewMessage.Accept(slot, ballot, value));
                }
            }
        }

        void tick() {
            if (++ticksTaken > PATIENCE_TICKS) {
                proposal = null;
                backoffDue = true;
                return;
            }
            if (value == null) {
                sendPrepares();
                tryAccept();
            } else {
                sendAccepts();
            }
        }

        void promised(int from, ViewMessage.Promise p) {
            if (p.slot() == slot && p.ballot().equals(ballot) && value == null) {
                promises.put(from, p);
                tryAccept();
            }
        }

        /** With a majority of promises (and every replica heard at the start, or a few ticks later): propose. */
        void tryAccept() {
            if (promises.size() < quorum()) {
                return;
            }
            if (!promises.keySet().containsAll(heardAtStart) && ticksTaken < WAIT_FOR_ALL_TICKS) {
                return;         // a view without a live replica that was merely slow only means another change
            }
            Optional<ViewMessage.Prior> prior = Optional.empty();
            List<Report> reports = new ArrayList<>();
            for (ViewMessage.Promise p : promises.values()) {
                reports.add(p.report());
                if (p.accepted().isPresent()
                        && (prior.isEmpty() || p.accepted().get().ballot().above(prior.get().ballot()))) {
                    prior = p.accepted();
                }
            }
            Optional<Decision> chosen = prior.isPresent() ? Optional.of(prior.get().value())
                    : Flush.decide(decision.view(), reports, joiners, flaws.contains(Flaw.FLUSH_BY_INTERSECTION));
            if (chosen.isEmpty()) {
                return;                              // no reporter holds the state: wait for one
            }
            value = chosen.get();
            sendAccepts();
        }

        void accepted(int from, ViewMessage.Accepted a) {
            if (a.slot() != slot || !a.ballot().equals(ballot) || value == null) {
                return;
            }
            accepts.add(from);
            if (accepts.size() >= quorum()) {
                Decision chosen = value;
                proposal = null;
                for (int r : configured) {
                    send(r, new ViewMessage.Decided(chosen));
                }
            }
        }
    }

    // ---- plumbing -------------------------------------------------------------------------------

    private void send(int to, ViewMessage m) {
        if (replaying) {
            return;
        }
        if (to == self) {
            toSelf.add(m);
        } else {
            host.send(to, m);
        }
    }

    /** Messages to this replica itself, handled in order after the input that caused them. */
    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            for (ViewMessage m; (m = toSelf.poll()) != null; ) {
                received(self, m);
            }
        } finally {
            draining = false;
        }
    }

    private void journal(ReplicaCore.RecordWriter writer) {
        if (!replaying) {
            host.journal(writer);
        }
    }

    /** Re-applies a view record read back from the log (its type byte already read). */
    void replay(DataInput in) throws IOException {
        replaying = true;
        try {
            byte kind = in.readByte();
            boolean forget = flaws.contains(Flaw.FORGET_PROMISE_ON_RESTART);
            switch (kind) {
                case FRESH -> applyFresh(in.readLong());
                case PROMISE -> {
                    in.readLong();
                    Ballot b = ViewCodec.readBallot(in);
                    if (!forget) {
                        applyPromise(b);
                    }
                }
                case ACCEPT -> {
                    in.readLong();
                    Ballot b = ViewCodec.readBallot(in);
                    Decision d = ViewCodec.readDecision(in);
                    if (!forget) {
                        applyAccept(b, d);
                    }
                }
                case INSTALL -> applyInstall(ViewCodec.readDecision(in));
                case LEARN -> applyLearn(ViewCodec.readDecision(in));
                case CHUNK -> {
                    in.readLong();
                    int index = in.readInt();
                    int count = in.readInt();
                    byte[] bytes = new byte[in.readInt()];
                    in.readFully(bytes);
                    applyChunk(index, count, bytes);
                }
                case PROVEN -> applyProven(readFounders(in));
                default -> throw new IllegalStateException("unknown view record " + kind);
            }
        } finally {
            replaying = false;
            }
    }

    void writeTo(DataOutput o) throws IOException {
        o.writeLong(incarnation);
        ViewCodec.writeDecision(o, decision);
        o.writeBoolean(hasState);
        o.writeBoolean(voter);
        o.writeBoolean(probing);
        o.writeBoolean(stopped);
        ViewCodec.writeBallot(o, promised);
        o.writeBoolean(accepted.isPresent());
        if (accepted.isPresent()) {
            ViewCodec.writeBallot(o, accepted.get().ballot());
            ViewCodec.writeDecision(o, accepted.get().value());
        }
        writeFounders(o, founders);
        o.writeInt(chunks.size());
        for (byte[] c : chunks) {
            o.writeInt(c.length);
            o.write(c);
        }
    }

    void readFrom(DataInput in) throws IOException {
        incarnation = in.readLong();
        decision = ViewCodec.readDecision(in);
        hasState = in.readBoolean();
        voter = in.readBoolean();
        probing = in.readBoolean();
        stopped = in.readBoolean();
        promised = ViewCodec.readBallot(in);
        accepted = in.readBoolean()
                ? Optional.of(new ViewMessage.Prior(ViewCodec.readBallot(in), ViewCodec.readDecision(in)))
                : Optional.empty();
        if (flaws.contains(Flaw.FORGET_PROMISE_ON_RESTART)) {
            promised = Ballot.NONE;
            accepted = Optional.empty();
        }
        founders.putAll(readFounders(in));
        for (int n = in.readInt(); n > 0; n--) {
            byte[] c = new byte[in.readInt()];
            in.readFully(c);
            chunks.add(c);
        }
    }
}
