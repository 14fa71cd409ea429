package lamportkv.sim.view;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import lamportkv.core.Agreement;
import lamportkv.core.ApplyHold;
import lamportkv.core.Flaw;
import lamportkv.core.Membership;
import lamportkv.core.Node;
import lamportkv.core.Operation;
import lamportkv.core.PeerMessage;
import lamportkv.core.Ready;
import lamportkv.core.ReplicaCore;
import lamportkv.core.Request;
import lamportkv.core.RequestId;
import lamportkv.core.Result;
import lamportkv.core.View;
import lamportkv.core.ViewMessage;

/**
 * Views under faults, from one seed: {@code n} real {@link Node}s (the object a running replica
 * drives, with every rule of ordering and of views) over a simulated network and simulated disks.
 * Nothing here decides what to force, send, answer or which view to install: this class only does
 * each node's I/O and plays the world around it.
 *
 * <p>The world: link messages are reliable and FIFO per link incarnation (the sender keeps what
 * the receiver has not confirmed durably and re-sends it, as {@code PeerLink} does); view
 * messages may be delayed, lost, repeated and reordered; heartbeats tell each replica whom it
 * hears. Faults, during the first part of a run: crashes (every unforced record lost) with
 * restarts, lost disks (restarted empty, with a new incarnation), freezes (the replica does
 * nothing for a while, then goes on with its state), partitions (sets of links that deliver
 * nothing), and false suspicion (a live replica goes unheard for a while). Then everything heals
 * and the run goes on until every client is done.
 *
 * <p>Clients each add 1 to their own counter, one operation at a time with a tag (client id,
 * sequence number), retrying the same tag on the next replica when refused or after a while.
 * So the {@code k}-th acknowledged add of a client must answer {@code k}: a lost acknowledged
 * add, a double application or a reordering all show there.
 *
 * <p>Checks, after every step: one membership per view number everywhere; view numbers only grow;
 * every view holds a majority; one apply order across all replicas and views (position by
 * position); every answer is what the counter says; at the end every replica is a member of the
 * same view with the same data, and every client finished within a bound after the heal.
 */
final class ViewSimulation {
    static final long SUSPECT = 40;
    static final long TIMER_EVERY = 10;
    static final long ATTEMPT_STEPS = 120;

    /** A check that failed: the seed replays it. */
    static final class Violation extends AssertionError {
        private static final long serialVersionUID = 1L;

        Violation(String message) {
            super(message);
        }
    }

    /** What a run did, for the "not vacuous" counters. */
    record Stats(int viewChanges, int crashes, int wipes, int freezes, int partitions, int transfers, long acked,
                 int retries, long steps, long locksGranted, long locksQueued, long unlocksThatHeld,
                 long appliesKept, long forcesDeferred) {
    }

    private final long seed;
    /** Rounds whose APPLYs waited for the next ({@link ApplyHold}). */
    private long appliesKept;
    /** Rounds that deferred their force ({@code Node.deferrable}). */
    private long forcesDeferred;
    private final Random random;
    /**
     * Whether a round is already waiting when one ends ({@link ApplyHold}); apart from
     * {@link #random}, so every other draw of a seed stayed as it was.
     */
    private final Random nextRoundWaiting;
    private final int n;
    private final List<Integer> ids;
    private final Agreement agreement;
    private final Set<Flaw> flaws;
    private final boolean coordination;
    /** Lock requests granted at once, queued, and lock operations that held (not vacuous). */
    private long granted, queued, released;
    private final int clients;
    private final int opsPerClient;
    private final long faultSteps;
    private final long maxSteps;
    private final Replica[] replicas;
    /** How many view messages in a hundred the network loses, per seed. */
    private final int lossPercent;
    /** One step in this many crashes a replica in the middle of a view change, per seed. */
    private final int midwayOdds;
    private final Client[] clientState;

    // network
    private final TreeMap<Long, List<Runnable>> agenda = new TreeMap<>();
    private final Set<Long> blocked = new TreeSet<>();     // directed links from*100+to
    private long now;

    // checks
    private final Map<Long, lamportkv.core.Decision> decisions = new HashMap<>();
    private final Map<Long, RequestId> appliedAt = new HashMap<>();
    private int viewChanges, crashes, wipes, freezes, partitions, transfers, retries;
    private long acked;
    private long healedAt = -1;
    /** What happened, for the message of a failed check (the last events). */
    private final java.util.ArrayDeque<String> trace = new java.util.ArrayDeque<>();

    private void note(String what) {
        if (trace.size() == Integer.getInteger("lamportkv.sim.view.traceSize", 60)) {
            trace.pollFirst();
        }
        trace.add(now + ": " + what);
    }

    ViewSimulation(long seed, int n, Set<Flaw> flaws) {
        this(seed, n, flaws, false);
    }

    /**
     * @param coordination whether every third operation of a client is a cas, rev, lock or unlock
     *                     (of one lock all clients share), with the replicas' clocks exchanged and
     *                     their expiry timers running, so that view changes and state transfers
     *                     meet revisions, the history and the lock table
     */
    ViewSimulation(long seed, int n, Set<Flaw> flaws, boolean coordination) {
        this.coordination = coordination;
        this.seed = seed;
        this.random = new Random(seed);
        this.nextRoundWaiting = new Random(~seed);
        this.n = n;
        List<Integer> list = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            list.add(i);
        }
        this.ids = List.copyOf(list);
        this.agreement = new Agreement(ids, 3_600_000);
        this.flaws = flaws.isEmpty() ? Set.of() : EnumSet.copyOf(flaws);
        this.clients = 4;
        this.opsPerClient = 30;
        this.faultSteps = 6_000;
        this.maxSteps = 40_000;
        this.lossPercent = new int[]{3, 10, 25, 40}[random.nextInt(4)];
        this.midwayOdds = new int[]{80, 20}[random.nextInt(2)];
        this.replicas = new Replica[n + 1];
        for (int i = 1; i <= n; i++) {
            replicas[i] = new Replica(i);
        }
        this.clientState = new Client[clients];
        for (int c = 0; c < clients; c++) {
            clientState[c] = new Client(c);
        }
    }

    // ---- one replica: the real node over a simulated disk -----------------------------------------

    private final class Replica {
        final int id;
        Node node;
        /** The disk: the last snapshot, and the records after it; {@code forced} of them survive a crash. */
        byte[] snapshot;
        final List<byte[]> records = new ArrayList<>();
        int forced;
        boolean up;
        long frozenUntil = -1;
        long nextTimer;
        final long[] lastHeard = new long[n + 1];
        long lastViewNumber = -1;
        /** Per link to a peer: incarnation (view number), and the messages the peer has not confirmed. */
        final long[] linkView = new long[n + 1];
        final List<TreeMap<Long, PeerMessage>> outbox = new ArrayList<>();
        /** Client attempts waiting here: token → client. */
        final Map<Long, Client> waiting = new HashMap<>();
        boolean pendingInputs;
        /** The last round deferred its force: the next one asks for it. */
        boolean forceHeld;
        /** When a round's messages leave, as {@code Rounds} decides it; volatile (a crash loses it). */
        ApplyHold applyHold;
        Membership.Condition lastCondition;
        /**
         * Lost its disk, or started on an empty one, and has not become a member with the state
         * since: a lasting failure, unlike a crash. Such a replica does not vote (rule V6), so a
         * majority of them could never choose a view again. Every replica starts so: each starts
         * on an empty disk, and one that stays unproven while the others go on counts as lost.
         */
        boolean lostDisk = true;

        Replica(int id) {
            this.id = id;
            for (int i = 0; i <= n; i++) {
                outbox.add(new TreeMap<>());
            }
            start(Node.empty(id, agreement, random.nextLong(), flaws, observer()));
        }

        boolean working() {
            return up && frozenUntil < 0;
        }

        void start(Node fresh) {
            node = fresh;
            applyHold = new ApplyHold(true, flaws);
            up = true;
            nextTimer = now + 1 + random.nextInt((int) TIMER_EVERY);
            java.util.Arrays.fill(lastHeard, now);
            for (int p = 1; p <= n; p++) {
                outbox.get(p).clear();
                linkView[p] = node.membership().view().number();
            }
            pendingInputs = true;           // the first round: forces, re-sends the backlog
        }

        Node.Observer observer() {
            return new Node.Observer() {
                @Override
                public void applied(Request request, Result result) {
                    checkApplied(Replica.this, request);
                }
            };
        }

        /** Ends the round: the node's Ready, done in its order. */
        void commit() {
            if (!working() || !pendingInputs) {
                return;
            }
            pendingInputs = false;
            // A deferred force (the node holds APPLYs for it) comes with the next round at the
            // latest, as a real loop forces within EventLoop.MAX_HELD_MICROS.
            Ready ready = node.ready(now, now, forceHeld);
            forceHeld = false;
            records.addAll(ready.records());
            if (ready.force()) {
                forced = records.size();
            }
            node.committed(ready);
            // After every round all links are in one incarnation (the loops below): a new view voids what was kept.
            if (linkView[id % n + 1] != ready.viewNumber()) {
                applyHold.drop();
            }
            Map<Integer, List<ReplicaCore.Outgoing>> leaving = applyHold.leaving(ready.messages(),
                    nextRoundWaiting.nextBoolean());
            if (applyHold.keeping()) {
                pendingInputs = true;       // the round that was waiting: it comes
                appliesKept++;
            }
            if (node.holdsMessages()) {
                pendingInputs = true;
                forceHeld = true;
                forcesDeferred++;
            }
            for (Map.Entry<Integer, List<ReplicaCore.Outgoing>> e : leaving.entrySet()) {
                int to = e.getKey();
                if (linkView[to] != ready.viewNumber()) {
                    linkView[to] = ready.viewNumber();
                    outbox.get(to).clear();
                }
                for (ReplicaCore.Outgoing m : e.getValue()) {
                    outbox.get(to).put(m.seq(), m.message());
                }
                scheduleLink(id, to, 1 + random.nextInt(8));
            }
            for (int to = 1; to <= n; to++) {
                if (to != id && linkView[to] != ready.viewNumber()) {
                    linkView[to] = ready.viewNumber();
                    outbox.get(to).clear();
                }
            }
            for (Map.Entry<Integer, List<ViewMessage>> e : ready.viewMessages().entrySet()) {
                for (ViewMessage m : e.getValue()) {
                    sendView(id, e.getKey(), m);
                }
            }
            for (Node.Answer a : ready.allAnswers()) {      // the early ones too, in the same step
                Client c = waiting.remove(a.token());
                if (c != null) {
                    c.answered(this, a.token(), a.result());
                }
            }
            for (Node.Refusal r : ready.refusals()) {
                Client c = waiting.remove(r.token());
                if (c != null) {
                    c.refused(this, r.token());
                }
            }
            if (forced == records.size() && random.nextInt(40) == 0) {
                snapshot = node.snapshot();
                records.clear();
                forced = 0;
            }
            Membership.Condition c = node.membership().condition();
            if (c != lastCondition || lastViewNumber != node.membership().view().number()) {
                note("replica " + id + " " + c + " in " + node.membership().view() + " joiners " + node.membership().decision().joiners());
            }
            if (lastCondition == Membership.Condition.AWAITING_STATE && c == Membership.Condition.MEMBER) {
                transfers++;
            }
            lastCondition = c;
            if (c == Membership.Condition.MEMBER) {
                lostDisk = false;
            }
            boolean advanced = lastViewNumber >= 0 && node.membership().view().number() > lastViewNumber;
            checkView(this);
            if (advanced && now < faultSteps && random.nextInt(4) == 0 && downOrCut() < n / 2) {
                // Cut off right after it moved on: what it decided may be known to it alone.
                isolate(id, SUSPECT + random.nextInt((int) (4 * SUSPECT)));
            }
        }

        void crash(boolean loseDisk) {
            note("replica " + id + (loseDisk ? " loses its disk (" + lostDisks() + " lost before)" : " crashes") + (node == null ? "" : " (" + node.membership().condition() + " in " + node.membership().view() + ")"));
            up = false;
            frozenUntil = -1;
            node = null;
            applyHold = null;
            waiting.clear();
            if (loseDisk) {
                lostDisk = true;
                lastViewNumber = -1;         // a new incarnation knows no view yet
                snapshot = null;
                records.clear();
                forced = 0;
            } else {
                records.subList(forced, records.size()).clear();
            }
        }

        void restart() {
            note("replica " + id + " restarts" + (snapshot == null && records.isEmpty() ? " on an empty disk" : ""));
            if (snapshot == null && records.isEmpty()) {
                lostDisk = true;             // nothing reached its disk: it comes back as a replica that lost it
                start(Node.empty(id, agreement, random.nextLong(), flaws, observer()));
                return;
            }
            Node.Recovery recovery = Node.recover(id, agreement, Optional.ofNullable(snapshot), flaws, observer());
            for (byte[] r : records) {
                recovery.replay(r);
            }
            start(recovery.finish());
        }

        void timer() {
            Set<Integer> heard = new TreeSet<>();
            for (int p = 1; p <= n; p++) {
                if (p != id && now - lastHeard[p] <= SUSPECT) {
                    heard.add(p);
                }
            }
            node.viewTimer(heard, random.nextLong());
            if (coordination) {
                node.expiryTimer(now, now);          // every replica's clock is the step
            }
            pendingInputs = true;
        }
    }

    // ---- the network ------------------------------------------------------------------------------

    private boolean cut(int from, int to) {
        return blocked.contains(from * 100L + to);
    }

    private void at(long time, Runnable r) {
        agenda.computeIfAbsent(time, k -> new ArrayList<>()).add(r);
    }

    private void scheduleLink(int from, int to, long delay) {
        at(now + delay, () -> deliverLink(from, to));
    }

    /** The sender's link re-sends what the receiver has not taken in (FIFO by number). */
    private void deliverLink(int from, int to) {
        Replica s = replicas[from];
        Replica r = replicas[to];
        if (!s.up || s.outbox.get(to).isEmpty()) {
            return;
        }
        if (!r.working() || cut(from, to) || !s.working()) {
            scheduleLink(from, to, 5 + random.nextInt(20));
            return;
        }
        long view = s.linkView[to];
        long held = r.node.heldFrom(from);
        List<PeerMessage> batch = new ArrayList<>();
        long first = -1;
        if (view == r.node.membership().view().number()) {
            for (Map.Entry<Long, PeerMessage> e : s.outbox.get(to).tailMap(held, false).entrySet()) {
                if (first < 0) {
                    first = e.getKey();
                }
                batch.add(e.getValue());
                if (batch.size() == 16) {
                    break;
                }
            }
        }
        r.lastHeard[from] = now;
        if (coordination) {
            r.node.peerTime(from, now, now);         // the batch carries the sender's clock: ClusterTime
        }
        if (first < 0) {
            r.node.receive(from, view, 1, List.of());
            r.pendingInputs = true;
            scheduleLink(from, to, 10 + random.nextInt(20));
            return;
        }
        r.node.receive(from, view, first, batch);
        r.pendingInputs = true;
        long durable = r.node.durableFrom(from);
        // The answer comes back later; the sender forgets what is durable there (same incarnation only).
        at(now + 1 + random.nextInt(5), () -> {
            if (s.up && s.linkView[to] == view) {
                s.outbox.get(to).headMap(durable, true).clear();
                s.node.confirmed(to, durable);
            }
        });
        scheduleLink(from, to, 1 + random.nextInt(6));
    }

    private void sendView(int from, int to, ViewMessage m) {
        if (random.nextInt(100) < lossPercent) {
            return;                                          // lost
        }
        int copies = random.nextInt(100) < 3 ? 2 : 1;
        for (int k = 0; k < copies; k++) {
            at(now + 1 + random.nextInt(12), () -> deliverView(from, to, m, 0));
        }
    }

    private void deliverView(int from, int to, ViewMessage m, int tries) {
        Replica r = replicas[to];
        if (cut(from, to) || !r.up) {
            return;                                          // a partition or a dead receiver loses it
        }
        if (!r.working()) {
            if (tries < 50) {
                at(now + 10, () -> deliverView(from, to, m, tries + 1));     // a frozen one gets it later
            }
            return;
        }
        r.lastHeard[from] = now;
        r.node.viewMessage(from, m);
        r.pendingInputs = true;
    }

    private void heartbeats() {
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= n; j++) {
                Replica from = replicas[j];
                Replica to = replicas[i];
                if (i != j && from.working() && to.working() && !cut(j, i) && random.nextInt(4) == 0) {
                    to.lastHeard[j] = now;
                    to.node.receive(j, from.linkView[i], 1, List.of());      // what its last committed round says
                }
            }
        }
    }

    // ---- clients ----------------------------------------------------------------------------------

    private final class Client {
        final int index;
        final long clientId;
        long seq;                // the operation in flight (0: none yet)
        long ackedCount;
        /** The counter's value as acknowledged (the set counts as 1), and the last lock token heard. */
        long adds;
        long lastToken;
        int at;                  // replica it sends to
        long token = -1;
        long attemptStarted;
        long startedAt;
        long nextAt;

        Client(int index) {
            this.index = index;
            this.clientId = 1000 + index;
            this.at = 1 + index % n;
        }

        boolean done() {
            return ackedCount == opsPerClient;
        }

        String key() {
            return "c" + index;
        }

        void step() {
            if (done() || now < nextAt) {
                return;
            }
            if (token < 0) {
                if (seq == ackedCount) {
                    seq++;
                    startedAt = now;
                }
                attempt();
            } else if (now - attemptStarted > ATTEMPT_STEPS) {
                moveOn();
            }
        }

        void attempt() {
            Replica r = replicas[at];
            if (!r.working()) {
                moveOn();
                return;
            }
            Operation op = operation();
            token = r.node.submit(op, clientId, seq);
            r.waiting.put(token, this);
            r.pendingInputs = true;
            attemptStarted = now;
        }

        /** The operation number {@code seq} is: set, then adds; in coordination mode every third is another kind. */
        Operation operation() {
            if (seq == 1) {
                return new Operation.Set(key(), new lamportkv.core.Value.Num(BigDecimal.ONE));
            }
            if (!coordination || seq % 3 != 0) {
                return new Operation.Add(key(), BigDecimal.ONE);
            }
            return Operation.parse(List.of((switch ((int) (seq / 3) % 4) {
                case 0 -> "lock L 0.2";
                case 1 -> lastToken > 0 ? "unlock L " + lastToken : "rev";
                case 2 -> "cas " + key() + "-flag " + (seq / 3 % 2 == 0 ? "(nil)" : "x") + " x";
                default -> "rev " + key();
            }).split(" ")));
        }

        void moveOn() {
            token = -1;
            at = at % n + 1;
            retries++;
            nextAt = now + 2 + random.nextInt(5);
        }

        void answered(Replica r, long answeredToken, Result result) {
            if (answeredToken != token || r.id != at) {
                return;
            }
            Operation op = operation();
            if (!(op instanceof Operation.Add) && !(op instanceof Operation.Set)) {
                if (!result.ok()) {
                    throw violation("client " + index + "'s " + String.join(" ", op.words()) + " failed: " + result.text());
                }
                if (op instanceof Operation.Lock) {
                    lastToken = Long.parseLong(result.text().substring(result.text().indexOf(' ') + 1));
                    if (result.text().startsWith("granted")) {
                        granted++;
                    } else {
                        queued++;
                    }
                } else if (op instanceof Operation.Unlock && result.text().equals("1")) {
                    released++;
                }
                ackedCount++;
                acked++;
                token = -1;
                return;
            }
            long expected = adds + 1;
            adds++;
            if (!result.ok() || expected > 1 && !result.text().equals(String.valueOf(expected))) {
                throw violation("client " + index + "'s add number " + expected + " (tag " + clientId + "/" + seq
                        + ") answered " + (result.ok() ? "" : "error ") + "\"" + result.text() + "\" at replica " + r.id
                        + ": an acknowledged add was lost, applied twice or reordered");
            }
            ackedCount++;
            acked++;
            token = -1;
            if (healedAt >= 0 && now - Math.max(healedAt, startedAt) > livenessBound()) {
                throw violation("client " + index + "'s add took " + (now - Math.max(healedAt, startedAt))
                        + " steps after the heal, over the bound of " + livenessBound());
            }
        }

        void refused(Replica r, long refusedToken) {
            if (refusedToken == token && r.id == at) {
                moveOn();
            }
        }
    }

    private long livenessBound() {
        return 40 * SUSPECT;
    }

    // ---- checks -----------------------------------------------------------------------------------

    private Violation violation(String what) {
        return new Violation("seed " + seed + (flaws.isEmpty() ? "" : " " + flaws) + ", step " + now + ": " + what
                + (Boolean.getBoolean("lamportkv.sim.view.trace") ? "\n" + String.join("\n", trace) : ""));
    }

    private void checkView(Replica r) {
        View v = r.node.membership().view();
        lamportkv.core.Decision d = r.node.membership().decision();
        lamportkv.core.Decision before = decisions.putIfAbsent(v.number(), d);
        if (before == null && v.number() > 0) {
            viewChanges++;
        }
        if (before != null && !before.equals(d)) {
            throw violation("two views numbered " + v.number() + ": " + before.view() + " keeping " + before.kept().size()
                    + " and " + v + " keeping " + d.kept().size() + " (replica " + r.id + ")");
        }
        if (v.members().size() < View.majority(n)) {
            throw violation("replica " + r.id + " is in " + v + ", which holds no majority of " + n);
        }
        if (v.number() < r.lastViewNumber) {
            throw violation("replica " + r.id + " went back from view " + r.lastViewNumber + " to " + v.number());
        }
        r.lastViewNumber = v.number();
    }

    private void checkApplied(Replica r, Request request) {
        long position = r.node == null ? -1 : r.node.core().state().appliedCount();
        if (position < 0) {
            return;                                          // during recovery: the node is not built yet
        }
        RequestId before = appliedAt.putIfAbsent(position, request.id());
        if (before != null && !before.equals(request.id())) {
            throw violation("replica " + r.id + " applied " + request.id() + " at position " + position
                    + ", where another replica applied " + before + ": two apply orders");
        }
    }

    // ---- the run ----------------------------------------------------------------------------------

    Stats run() {
        while (now < maxSteps) {
            now++;
            if (now < faultSteps) {
                faults();
            } else if (healedAt < 0) {
                heal();
            }
            List<Runnable> due = agenda.remove(now);
            if (due != null) {
                for (Runnable r : due) {
                    r.run();
                }
            }
            heartbeats();
            for (int i = 1; i <= n; i++) {
                Replica r = replicas[i];
                if (r.up && r.frozenUntil >= 0 && now >= r.frozenUntil) {
                    r.frozenUntil = -1;
                    r.pendingInputs = true;
                }
                if (r.working() && now >= r.nextTimer) {
                    r.nextTimer = now + TIMER_EVERY;
                    r.timer();
                }
            }
            for (Client c : clientState) {
                c.step();
            }
            if (now < faultSteps) {
                crashMidRound();
            }
            for (int i = 1; i <= n; i++) {
                replicas[i].commit();
            }
            if (healedAt >= 0 && allDone() && converged()) {
                return stats();
            }
        }
        StringBuilder where = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            Replica r = replicas[i];
            where.append(" replica ").append(i).append(": ").append(r.up ? r.node.membership().condition() + " in "
                    + r.node.membership().view() + ", applied " + r.node.core().state().appliedCount()
                    + (r.node.membership().voter() ? ", voter" : ", not voting") + ", promised "
                    + r.node.membership().promised() + (r.lostDisk ? ", lost its disk" : "") : "down");
            where.append(';');
        }
        for (Client c : clientState) {
            where.append(" client ").append(c.index).append(": ").append(c.ackedCount).append(" acked at ").append(c.at);
            where.append(';');
        }
        throw violation("no convergence " + (maxSteps - healedAt) + " steps after the heal:" + where);
    }

    private boolean allDone() {
        for (Client c : clientState) {
            if (!c.done()) {
                return false;
            }
        }
        return true;
    }

    /** Every replica a member of one view, with the same data, nothing pending. */
    private boolean converged() {
        View first = replicas[1].node.membership().view();
        String digest = replicas[1].node.core().state().digest();
        for (int i = 1; i <= n; i++) {
            Node node = replicas[i].node;
            if (node.membership().condition() != Membership.Condition.MEMBER || !node.membership().view().equals(first)
                    || !node.core().state().digest().equals(digest) || node.core().state().bufferLength() > 0) {
                return false;
            }
        }
        return first.members().size() == n;
    }

    private void heal() {
        healedAt = now;
        blocked.clear();
        for (int i = 1; i <= n; i++) {
            Replica r = replicas[i];
            if (!r.up) {
                r.restart();
            }
            r.frozenUntil = -1;
        }
    }

    private int downOrCut() {
        int count = 0;
        for (int i = 1; i <= n; i++) {
            Replica r = replicas[i];
            boolean isolated = false;
            for (int j = 1; j <= n; j++) {
                isolated |= i != j && (cut(i, j) || cut(j, i));
            }
            if (!r.working() || isolated || stateless(r)) {
                count++;
            }
        }
        return count;
    }

    /**
     * Up, but not (yet) holding the newest view's state: it lost its disk, or is excluded, or is
     * still receiving the state. Until repaired it counts as failed: losing a disk now must not
     * take the last holders of the state.
     */
    private boolean stateless(Replica r) {
        if (!r.up) {
            return false;
        }
        long newest = 0;
        for (int i = 1; i <= n; i++) {
            if (replicas[i].up) {
                newest = Math.max(newest, replicas[i].node.membership().view().number());
            }
        }
        Membership.Condition c = r.node.membership().condition();
        return r.node.membership().view().number() < newest
                || c != Membership.Condition.MEMBER && c != Membership.Condition.CHANGING;
    }

    /** Replicas whose disk is lost (or was empty) and not rebuilt yet: never more than a minority (the failure model). */
    private int lostDisks() {
        int count = 0;
        for (int i = 1; i <= n; i++) {
            if (replicas[i].lostDisk) {
                count++;
            }
        }
        return count;
    }

    /** Each step, maybe one fault; at most a minority down, frozen or cut off at once (mostly). */
    private void faults() {
        for (int i = 1; i <= n; i++) {
            Replica r = replicas[i];
            if (!r.up && random.nextInt(400) == 0) {
                r.restart();
            }
        }
        int f = n / 2;
        if (random.nextInt(midwayOdds) == 0) {
            // In the middle of a view change, or of a state transfer.
            for (int i = 1; i <= n; i++) {
                Replica r = replicas[i];
                Membership.Condition c = r.up ? r.node.membership().condition() : null;
                boolean midway = c == Membership.Condition.CHANGING || c == Membership.Condition.AWAITING_STATE
                        || r.up && !r.node.membership().promised().equals(lamportkv.core.Ballot.NONE);
                if (midway) {
                    // A crash with a quick restart loses no state: any number of them at once is a
                    // fair test. Lost disks stay within a minority (the failure model).
                    crashAndRestartSoon(r, random.nextInt(3) == 0 && lostDisks() < f);
                    break;
                }
            }
        }
        if (random.nextInt(60) != 0) {
            return;
        }
        boolean room = downOrCut() < f || random.nextInt(20) == 0;
        int victim = 1 + random.nextInt(n);
        Replica r = replicas[victim];
        switch (random.nextInt(7)) {
            case 0 -> {
                if (room && r.up) {
                    r.crash(false);
                    crashes++;
                }
            }
            case 1 -> {
                // A lost disk is a lasting failure: never more than a minority of them at once.
                if (downOrCut() < f && lostDisks() < f && r.up && random.nextInt(3) == 0) {
                    r.crash(true);
                    wipes++;
                }
            }
            case 2 -> {
                if (room && r.working()) {
                    r.frozenUntil = now + SUSPECT + random.nextInt((int) (4 * SUSPECT));
                    freezes++;
                }
            }
            case 3 -> {
                if (room) {
                    isolate(victim, SUSPECT + random.nextInt((int) (6 * SUSPECT)));
                }
            }
            case 4 -> {
                // one direction of one link only: false suspicion of a live replica
                int other = victim % n + 1;
                blocked.add(victim * 100L + other);
                long until = now + SUSPECT + random.nextInt((int) (3 * SUSPECT));
                at(until, () -> blocked.remove(victim * 100L + other));
            }
            default -> {
            }
        }
    }

    /**
     * A replica dies after taking this step's inputs in and before its round is committed: what it
     * did in the round never reaches its disk or anyone else (the crash inside a view change or a
     * state transfer that matters most: after an input, before its force).
     */
    private void crashMidRound() {
        if (random.nextInt(150) != 0) {
            return;
        }
        int victim = 1 + random.nextInt(n);
        Replica r = replicas[victim];
        if (r.working() && r.pendingInputs) {
            crashAndRestartSoon(r, random.nextInt(4) == 0 && lostDisks() < n / 2);
        }
    }

    private void crashAndRestartSoon(Replica r, boolean loseDisk) {
        r.crash(loseDisk);
        restartSoon(r);
        if (loseDisk) {
            wipes++;
        } else {
            crashes++;
        }
    }

    /** A supervisor starts it again shortly (most crashes in a view change are followed by a quick restart). */
    private void restartSoon(Replica r) {
        at(now + 5 + random.nextInt(60), () -> {
            if (!r.up) {
                r.restart();
            }
        });
    }

    private void isolate(int victim, long steps) {
        for (int j = 1; j <= n; j++) {
            if (j != victim) {
                blocked.add(victim * 100L + j);
                blocked.add(j * 100L + victim);
            }
        }
        partitions++;
        at(now + steps, () -> unblock(victim));
    }

    private void unblock(int victim) {
        blocked.removeIf(l -> l / 100 == victim || l % 100 == victim);
    }

    private Stats stats() {
        for (Client c : clientState) {
            if (c.ackedCount != opsPerClient) {
                throw violation("client " + c.index + " finished with " + c.ackedCount + " adds");
            }
        }
        for (int i = 1; i <= n; i++) {
            Node node = replicas[i].node;
            for (Client c : clientState) {
                var v = node.core().state().data().get(c.key());
                if (v == null || !v.render().equals(String.valueOf(c.adds))) {
                    throw violation("replica " + i + " ends with " + c.key() + " = " + v + ", not " + c.adds);
                }
            }
        }
        return new Stats(viewChanges, crashes, wipes, freezes, partitions, transfers, acked, retries, now, granted,
                queued, released, appliesKept, forcesDeferred);
    }
}
