package lamportkv.sim.crash;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import lamportkv.check.History;
import lamportkv.core.Agreement;
import lamportkv.core.Node;
import lamportkv.core.Operation;
import lamportkv.core.PeerMessage;
import lamportkv.core.ReplicaCore;
import lamportkv.core.Request;
import lamportkv.core.Result;
import lamportkv.core.StateMachine;
import lamportkv.rmi.Reply;
import lamportkv.sim.Violations;
import lamportkv.sim.crash.CrashStats.Counter;

/**
 * N {@link SimulatedReplica}s — each the real {@link Node} over a {@link SimulatedDisk} — on
 * {@link ReliableLinks}, with closed-loop {@link CrashClient}s, crashing and restarting. One
 * seeded {@link Random} makes every choice, and time is the step counter (for the history, the
 * delays, the deadlines, and the replicas' wall clocks, one of which may run two hours off), so a
 * seed replays exactly.
 *
 * <p>A step first does what is due at that time: restart replicas whose downtime is over, strike
 * a planned crash (a process crash, a power loss, or a power loss soon after a restart), let
 * replicas answer the client calls whose deadline came (taking back what is still unstamped),
 * and tell clients whose budget ran out what their attempts allow. Then it takes one random
 * action: a client sends (or retries) an operation; a link delivers its next message; a link
 * delivers a message out of turn — one the receiver holds already (dropped as a duplicate) or one
 * that overtook its predecessor (dropped as a gap); a link sends a heartbeat (the receiver's ack
 * goes back); a replica ends its round; a replica's unforced records have waited long enough and
 * its loop forces them; an ack reaches a sender; a replica ticks; a client's connection breaks.
 * A round also ends as soon as it has {@link CrashSetup#maxRoundInputs} inputs. Crashes strike at
 * the start of a step, so they hit replicas mid-round as often as between rounds.
 *
 * <p>Checked during the run, because it is cheap and points at the exact step: every replica
 * applies, at each position of its sequence, the same request with the same result and the same
 * data digest afterwards; a restarted replica comes back as the agreed prefix of that sequence
 * (and exactly as it was, if the crash lost no record); it still holds every number it reported
 * durable and still knows every number it released; a number on a link names one message forever;
 * every in-order delivery is accepted; no link gets stuck; answers go to the client that asked;
 * a restart under another configuration is refused; the buffers' indexes agree.
 */
final class CrashCluster {
    /** A run that takes this many steps is stuck. */
    static final long MAX_STEPS = 40_000;
    /** With every replica up and no crash left, this many steps without progress is a stall. */
    static final long STALL_STEPS = 2_000;

    private static final String EMPTY_DIGEST = new StateMachine().digest();
    private static final double W_CLIENT = 2, W_DELIVER = 5, W_OUT_OF_TURN = 0.5, W_CONFIRM = 1.5, W_TICK = 0.15,
            W_HEARTBEAT = 0.6, W_TIMER = 1, W_DISCONNECT = 0.04, W_EXPIRY_TIMER = 0.3;

    /** A request as applied at a replica: what it returned, and the digest of the data after it. */
    record Applied(Request request, Result result, String digest) {
        String describe() {
            return request.id() + " " + String.join(" ", request.op().words()) + " -> " + result
                    + " (client " + request.client().clientId() + "#" + request.client().seq() + ", digest " + digest + ")";
        }
    }

    /** A message delivered out of turn, and the receipt the receiver must give it. */
    private record OutOfTurn(int from, int to, ReliableLinks.Queued message, ReplicaCore.Receipt expected) {
    }

    /** What a replica looked like just before it crashed: a restart that lost no record must match it. */
    private record Shape(long applied, String digest, long clock, List<String> buffer,
                         Map<Integer, Long> held, Map<Integer, Long> nextSeq) {
        static Shape of(ReplicaCore core) {
            Map<Integer, Long> held = new TreeMap<>();
            Map<Integer, Long> next = new TreeMap<>();
            for (int peer : core.members()) {
                if (peer != core.self()) {
                    held.put(peer, core.heldFrom(peer));
                    next.put(peer, core.nextSeqTo(peer));
                }
            }
            List<String> buffer = core.state().bufferInOrder().stream().map(Object::toString).toList();
            StateMachine s = core.state();
            return new Shape(s.appliedCount(), s.digest(), s.clock().time(), buffer, held, next);
        }
    }

    private final CrashSetup setup;
    private final Random random;
    /**
     * Whether a round is already waiting when one ends ({@link lamportkv.core.ApplyHold}): drawn
     * apart from {@link #random}, so that adding this draw left every other choice of a seed as it was.
     */
    private final Random nextRoundWaiting;
    private final CrashVariant variant;
    private final CrashWorkload workload;
    private final List<SimulatedReplica> replicas = new ArrayList<>();
    private final ReliableLinks links;
    private final List<CrashClient> clients = new ArrayList<>();
    private final History history = new History(this::now);
    /** Per replica, what it applied live; cut back to what recovery rebuilt at each restart. */
    private final List<List<Applied>> appliedBy = new ArrayList<>();
    /** Position k: what the first replica to apply k+1 requests applied (k+1)-th. All must agree. */
    private final List<Applied> agreed = new ArrayList<>();
    private final ArrayDeque<Long> crashPlan;
    private final Map<Integer, Shape> intactShapes = new TreeMap<>();
    private final boolean[][] stuckReported;
    private final CrashStats stats = new CrashStats();
    private final Violations<CrashCheck> violations = new Violations<>(CrashCheck.class, CrashCheck::title);
    private final List<String> trace;
    private long now;
    private long lastProgress;
    private boolean counterReady;
    private boolean stopped;

    CrashCluster(CrashSetup setup, Random random, Random nextRoundWaiting, CrashVariant variant, CrashWorkload workload,
                 boolean tracing) {
        this.setup = setup;
        this.random = random;
        this.nextRoundWaiting = nextRoundWaiting;
        this.variant = variant;
        this.workload = workload;
        this.links = new ReliableLinks(setup.replicas());
        this.crashPlan = new ArrayDeque<>(setup.crashSteps());
        this.stuckReported = new boolean[setup.replicas() + 1][setup.replicas() + 1];
        this.trace = tracing ? new ArrayList<>() : null;
        List<Integer> members = IntStream.rangeClosed(1, setup.replicas()).boxed().toList();
        Agreement agreement = new Agreement(members, setup.clientExpiry());
        for (int id : members) {
            replicas.add(new SimulatedReplica(id, agreement, variant.flaws, setup.wallOffset(id), this::onApplied));
            appliedBy.add(new ArrayList<>());
        }
        for (int c = 0; c < setup.clients(); c++) {
            clients.add(new CrashClient(c, c % setup.replicas() + 1, setup.replicas(), setup.operations(),
                    variant.trustLastAttempt));
        }
        stats.add(Counter.SKEWED_RUNS, setup.skewedReplica() == 0 ? 0 : 1);
    }

    // ---- the run --------------------------------------------------------------------------------

    /** Steps until every client is done and the cluster is quiet, or it stalls. */
    void run() {
        while (!stopped && !finished()) {
            if (now >= MAX_STEPS) {
                violations.add(CrashCheck.LIVENESS, "still busy after " + MAX_STEPS + " steps");
                return;
            }
            if (stalled()) {
                violations.add(CrashCheck.LIVENESS, "stalled: no request applied and no client answered for "
                        + STALL_STEPS + " steps, with every replica up (step " + now + ")");
                return;
            }
            try {
                step();
            } catch (lamportkv.core.Divergence alarm) {
                // The replica's own alarm (its result differs from the origin's): it stops, as it must.
                violations.add(CrashCheck.DIVERGENCE, "step " + now + ": " + alarm.getMessage());
                log("divergence alarm: %s", alarm.getMessage());
                stopped = true;
            } catch (RuntimeException e) {
                violations.add(CrashCheck.EXCEPTION, "step " + now + ": " + e);
                log("exception %s", e);
                stopped = true;
            }
        }
        for (SimulatedReplica r : replicas) {
            if (r.up()) {
                stats.add(Counter.EXPIRED_CLIENTS, r.core().state().expiredClients());
            }
        }
    }

    private void step() {
        now++;
        restartDueReplicas();
        powerLossIfPlanned();
        crashIfPlanned();
        answerExpiredCalls();
        tellClientsOutOfTime();
        takeOneAction();
        checkLinks();
        for (SimulatedReplica r : replicas) {
            if (r.up()) {
                r.core().state().checkIndexes();
            }
        }
    }

    /** Every client done, no crash left, everyone up, no round open, nothing unforced, no message on its way. */
    private boolean finished() {
        if (!crashPlan.isEmpty() || clients.stream().anyMatch(c -> !c.done())) {
            return false;
        }
        for (SimulatedReplica r : replicas) {
            if (!r.up() || r.roundPending() || r.node().unforced() || r.powerLossAt() >= now) {
                return false;
            }
        }
        for (SimulatedReplica from : replicas) {
            for (SimulatedReplica to : replicas) {
                if (from != to && links.hasAbove(from.id(), to.id(), to.core().heldFrom(from.id()))) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean stalled() {
        if (clients.stream().anyMatch(c -> c.thinking(now))) {
            lastProgress = now;         // a user who thinks is no stall of the cluster
        }
        return crashPlan.isEmpty() && replicas.stream().allMatch(SimulatedReplica::up) && now - lastProgress > STALL_STEPS;
    }

    /** Picks one of the possible actions, weighted by kind, then uniformly within the kind. */
    private void takeOneAction() {
        List<CrashClient> senders = new ArrayList<>();
        for (CrashClient c : clients) {
            if (c.canSend(now, counterReady)) {
                senders.add(c);
            }
        }
        List<int[]> deliveries = new ArrayList<>();
        List<OutOfTurn> outOfTurn = new ArrayList<>();
        List<int[]> heartbeats = new ArrayList<>();
        findDeliveries(deliveries, outOfTurn, heartbeats);
        List<SimulatedReplica> up = replicas.stream().filter(SimulatedReplica::up).toList();
        List<SimulatedReplica> open = up.stream().filter(SimulatedReplica::roundPending).toList();
        List<SimulatedReplica> timers = up.stream().filter(r -> r.forceDue(now, setup.maxUnforced())).toList();
        List<ReliableLinks.Confirmation> confirmations = links.due(now);
        List<CrashClient> connected = clients.stream().filter(c -> c.busy() && !c.canSend(now, true)
                && replica(c.replica()).up()).toList();

        double[] weights = {
            senders.isEmpty() ? 0 : W_CLIENT,
            deliveries.isEmpty() ? 0 : W_DELIVER,
            outOfTurn.isEmpty() ? 0 : W_OUT_OF_TURN,
            open.isEmpty() ? 0 : setup.commitWeight(),
            confirmations.isEmpty() ? 0 : W_CONFIRM,
            up.isEmpty() ? 0 : W_TICK,
            heartbeats.isEmpty() ? 0 : W_HEARTBEAT,
            timers.isEmpty() ? 0 : W_TIMER,
            connected.isEmpty() ? 0 : W_DISCONNECT,
            variant.coordination && !up.isEmpty() ? W_EXPIRY_TIMER : 0,
        };
        switch (pick(weights)) {
            case 0 -> send(senders.get(random.nextInt(senders.size())));
            case 1 -> deliver(deliveries.get(random.nextInt(deliveries.size())));
            case 2 -> deliverOutOfTurn(outOfTurn.get(random.nextInt(outOfTurn.size())));
            case 3 -> commit(open.get(random.nextInt(open.size())), false);
            case 4 -> confirm(confirmations.get(random.nextInt(confirmations.size())));
            case 5 -> tick(up.get(random.nextInt(up.size())));
            case 6 -> heartbeat(heartbeats.get(random.nextInt(heartbeats.size())));
            case 7 -> commit(timers.get(random.nextInt(timers.size())), true);
            case 8 -> disconnect(connected.get(random.nextInt(connected.size())));
            case 9 -> {
                if (up.get(random.nextInt(up.size())).expiryTimer(now)) {
                    stats.add(Counter.EXPIRES_SUBMITTED);
                }
            }
            default -> {
                // nothing can happen now: time passes (delays, downtimes, deadlines)
            }
        }
    }

    private int pick(double[] weights) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        if (total == 0) {
            return -1;
        }
        double x = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            x -= weights[i];
            if (x < 0 && weights[i] > 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    // ---- clients --------------------------------------------------------------------------------

    /**
     * A client sends its next operation, or retries its current one with the same client id and
     * sequence number on the next replica. A replica that is down refuses the connection: nothing
     * was sent, and the client moves on at once.
     */
    private void send(CrashClient c) {
        boolean retry = c.busy();
        if (retry) {
            stats.add(Counter.RETRIES);
            if (!variant.retrySameSeq) {
                c.renumber();               // the broken variant: the retry looks like a new operation
            }
        } else {
            Operation op = c.index == 0 && c.seq() == 0 ? CrashWorkload.INIT_COUNTER : workload.next();
            c.begin(op, history.invoke(c.index, op), now, setup.budget(), op.equals(CrashWorkload.INIT_COUNTER));
            stats.add(Counter.OPERATIONS);
        }
        SimulatedReplica target = replica(c.target());
        if (!target.up()) {
            log("client %d: replica %d is down", c.index, target.id());
            stats.add(Counter.UNREACHED);
            c.unreached(target.id());
            return;
        }
        int attempt = c.attempt(target.id());
        if (trace != null) {
            log("client %d %s #%d at replica %d (attempt %d, until step %d): %s", c.index, retry ? "retries" : "sends",
                    c.seq(), target.id(), attempt, c.budgetEnd(), String.join(" ", c.op().words()));
        }
        target.submit(c.op(), c.clientId, c.seq(), c.index, attempt, c.budgetEnd());
        commitIfFull(target);
    }

    /**
     * A replica's deadline for a call came (the RMI handler's timeout): it takes the operation back
     * if it is still unstamped ({@code NOT_APPLIED}), else answers {@code TIMEOUT}. The client may
     * have given up on that attempt already; the operation is taken back all the same.
     */
    private void answerExpiredCalls() {
        for (SimulatedReplica r : replicas) {
            if (!r.up()) {
                continue;
            }
            for (SimulatedReplica.Waiting w : r.expired(now)) {
                Node.Withdrawal withdrawal = r.node().withdraw(w.token());
                Reply.Status status = withdrawal == Node.Withdrawal.NOT_STAMPED ? Reply.Status.NOT_APPLIED
                        : Reply.Status.TIMEOUT;
                stats.add(status == Reply.Status.NOT_APPLIED ? Counter.WITHDRAWN : Counter.REPLICA_TIMEOUTS);
                CrashClient c = clients.get(w.client());
                log("replica %d: client %d's attempt %d is due: %s", r.id(), c.index, w.attempt(), status);
                if (c.waitingFor(r.id(), w.attempt()) && c.answered(status, null, now)) {
                    told(c);
                }
            }
        }
    }

    private void tellClientsOutOfTime() {
        for (CrashClient c : clients) {
            if (c.outOfTime(now) && c.giveUp(now)) {
                told(c);
            }
        }
    }

    /** A client's connection broke mid-call: it retries elsewhere; its replica keeps the call until the deadline. */
    private void disconnect(CrashClient c) {
        log("client %d loses contact with replica %d", c.index, c.replica());
        c.lostContact(now + 1 + random.nextInt(5));
        stats.add(Counter.NETWORK_DISCONNECTS);
    }

    /** A committed answer reaches its client, if that client still waits for this very attempt. */
    private void answer(SimulatedReplica r, SimulatedReplica.Answered a) {
        CrashClient c = clients.get(a.call().client());
        if (!c.waitingFor(r.id(), a.call().attempt())) {
            stats.add(Counter.LATE_ANSWERS);       // the client gave up on this attempt and retried
            return;
        }
        Request request = a.request();
        if (request.client().clientId() != c.clientId || request.client().seq() != c.seq()
                || !request.op().equals(c.op())) {
            violations.add(CrashCheck.ANSWERS, "step " + now + ": client " + c.index + " waits for #" + c.seq() + " "
                    + String.join(" ", c.op().words()) + " but got the answer to " + request);
            return;
        }
        log("client %d answered #%d: %s", c.index, c.seq(), a.result());
        countCoordination(request.op(), a.result());
        if (c.answered(a.result().ok() ? Reply.Status.OK : Reply.Status.FAILED, a.result(), now)) {
            told(c);
        }
    }

    /** Not vacuous: how often the coordination operations really granted, queued, stored and released. */
    private void countCoordination(Operation op, lamportkv.core.Result result) {
        workload.answered(op, result);
        if (op instanceof Operation.Lock && result.ok()) {
            stats.add(result.text().startsWith("granted") ? Counter.LOCKS_GRANTED : Counter.LOCKS_QUEUED);
        } else if (op instanceof Operation.Cas && result.text().equals("1")) {
            stats.add(Counter.CAS_STORED);
        } else if ((op instanceof Operation.Unlock || op instanceof Operation.Renew) && result.text().equals("1")) {
            stats.add(Counter.LOCKS_RELEASED_OR_RENEWED);
        }
    }

    /** The user was told something about the client's last operation. */
    private void told(CrashClient c) {
        CrashClient.Told t = c.told().get(c.told().size() - 1);
        log("client %d is told: #%d %s (%s)", c.index, t.seq(), t.verdict(), t.how());
        if (t.op().equals(CrashWorkload.INIT_COUNTER)) {
            counterReady = true;
        } else if (random.nextInt(10) == 0) {
            // A long pause: the client's record expires meanwhile (everyone expires it at the same position).
            c.pauseUntil(now + setup.clientExpiry() + random.nextInt(300));
        }
        stats.add(switch (t.verdict()) {
            case APPLIED -> Counter.TOLD_APPLIED;
            case NOT_APPLIED -> Counter.TOLD_NOT_APPLIED;
            case MAY_BE_APPLIED -> Counter.TOLD_MAY_BE_APPLIED;
        });
        lastProgress = now;
    }

    // ---- the network ----------------------------------------------------------------------------

    /**
     * Deliverable now, to a live receiver, once the delay is over: the message numbered one above
     * what it holds (even if the sender has crashed since: it was on the wire); out of turn, the
     * sender's oldest message if the receiver holds it already, or a later one that overtook the
     * next (only from a live sender: these are its re-sends and its concurrent calls); a heartbeat,
     * between two live replicas.
     */
    private void findDeliveries(List<int[]> deliveries, List<OutOfTurn> outOfTurn, List<int[]> heartbeats) {
        for (SimulatedReplica from : replicas) {
            for (SimulatedReplica to : replicas) {
                if (from == to || !to.up()) {
                    continue;
                }
                long held = to.core().heldFrom(from.id());
                links.queued(from.id(), to.id(), held + 1)
                        .filter(q -> q.deliverableAt() <= now)
                        .ifPresent(q -> deliveries.add(new int[] {from.id(), to.id()}));
                if (!from.up()) {
                    continue;
                }
                heartbeats.add(new int[] {from.id(), to.id()});
                links.oldest(from.id(), to.id())
                        .filter(q -> q.seq() <= held && q.deliverableAt() <= now)
                        .ifPresent(q -> outOfTurn.add(new OutOfTurn(from.id(), to.id(), q, ReplicaCore.Receipt.DUPLICATE)));
                links.above(from.id(), to.id(), held + 1)
                        .filter(q -> q.deliverableAt() <= now)
                        .ifPresent(q -> outOfTurn.add(new OutOfTurn(from.id(), to.id(), q, ReplicaCore.Receipt.GAP)));
            }
        }
    }

    private void deliver(int[] link) {
        SimulatedReplica from = replica(link[0]);
        SimulatedReplica to = replica(link[1]);
        long seq = to.core().heldFrom(link[0]) + 1;
        PeerMessage message = links.queued(link[0], link[1], seq).orElseThrow().message();
        if (trace != null) {
            log("%d -> %d #%d: %s", link[0], link[1], seq, describe(message));
        }
        ReplicaCore.Receipt receipt = to.received(link[0], seq, message, from.wall(now - random.nextInt(3)), now);
        stats.add(Counter.DELIVERED);
        if (receipt == ReplicaCore.Receipt.REFUSED) {
            violations.add(CrashCheck.PROTOCOL, "step " + now + ": replica " + link[1] + " refused message #" + seq
                    + " from replica " + link[0] + ": " + describe(message));
        } else if (receipt != ReplicaCore.Receipt.ACCEPTED) {
            violations.add(CrashCheck.LINK, "step " + now + ": replica " + link[1] + " answered " + receipt
                    + " to message #" + seq + " from " + link[0] + ", one above what it holds");
        }
        ack(link[0], to);
        commitIfFull(to);
    }

    /** The receiver's ack goes back to the sender: what it holds durably (the node decides). */
    private void ack(int sender, SimulatedReplica receiver) {
        links.report(sender, receiver.id(), receiver.node().durableFrom(sender), now + delay());
    }

    /** An empty batch: the sender's clock reaches the receiver, the receiver's ack goes back. */
    private void heartbeat(int[] link) {
        SimulatedReplica from = replica(link[0]);
        SimulatedReplica to = replica(link[1]);
        to.heartbeat(from.id(), from.wall(now - random.nextInt(3)), now);
        ack(from.id(), to);
        stats.add(Counter.HEARTBEATS);
    }

    /** A message out of turn: held already, or overtaking the next one. The receiver must drop it, changing nothing. */
    private void deliverOutOfTurn(OutOfTurn d) {
        SimulatedReplica to = replica(d.to());
        ReplicaCore.Receipt receipt = to.received(d.from(), d.message().seq(), d.message().message(),
                replica(d.from()).wall(now), now);
        log("%d -> %d #%d out of turn: %s", d.from(), d.to(), d.message().seq(), receipt);
        if (receipt != d.expected()) {
            violations.add(CrashCheck.LINK, "step " + now + ": replica " + d.to() + " answered " + receipt
                    + " to message #" + d.message().seq() + " from " + d.from() + " out of turn; expected " + d.expected());
        }
        stats.add(d.expected() == ReplicaCore.Receipt.DUPLICATE ? Counter.DUPLICATES : Counter.GAPS);
    }

    /** The receiver's ack reaches the sender, unless the sender is down. */
    private void confirm(ReliableLinks.Confirmation c) {
        links.take(c);
        SimulatedReplica sender = replica(c.sender());
        if (!sender.up()) {
            return;
        }
        sender.node().confirmed(c.receiver(), c.held());
        links.prune(c.sender(), c.receiver(), c.held());
        stats.add(Counter.CONFIRMATIONS);
    }

    /** A number above what the receiver holds that the sender can no longer send: the link can never catch up. */
    private void checkLinks() {
        for (SimulatedReplica from : replicas) {
            for (SimulatedReplica to : replicas) {
                if (from == to || !from.up() || !to.up() || stuckReported[from.id()][to.id()]) {
                    continue;
                }
                long held = to.core().heldFrom(from.id());
                links.oldest(from.id(), to.id()).filter(q -> q.seq() > held + 1).ifPresent(q -> {
                    stuckReported[from.id()][to.id()] = true;
                    violations.add(CrashCheck.LINK, "step " + now + ": link " + from.id() + "→" + to.id()
                            + " is stuck: replica " + to.id() + " holds up to #" + held + " but the sender has only #"
                            + q.seq() + " and later");
                });
            }
        }
    }

    // ---- rounds ---------------------------------------------------------------------------------

    private void tick(SimulatedReplica r) {
        log("replica %d ticks", r.id());
        r.tick();
        commitIfFull(r);
    }

    private void commitIfFull(SimulatedReplica r) {
        if (r.roundInputs() >= setup.maxRoundInputs()) {
            commit(r, false);
        }
    }

    /**
     * The end of a round, as the node decides it: its records go to the disk, forced if it says
     * so, and only then its messages join the links and its answers reach their clients.
     * Sometimes a snapshot follows a forced round.
     *
     * @param timer the replica's unforced records have waited long enough: its loop forces them
     */
    private void commit(SimulatedReplica r, boolean timer) {
        long forcesBefore = r.disk().forces();
        SimulatedReplica.Committed committed = r.commit(now, timer || r.forceDue(now, setup.maxUnforced()),
                nextRoundWaiting.nextBoolean(), random);
        boolean forced = r.disk().forces() > forcesBefore;
        stats.add(Counter.COMMITS);
        stats.add(forced ? Counter.FORCES : Counter.UNFORCED_COMMITS);
        stats.add(Counter.EARLY_ANSWERS, committed.ready().earlyAnswers().size());
        stats.add(Counter.DEFERRED_FORCES, !forced && !committed.ready().answers().isEmpty() ? 1 : 0);
        stats.add(Counter.APPLIES_KEPT_BACK, r.keepingApplies() ? 1 : 0);
        log("replica %d ends a round%s: %d records%s, %d messages, %d answers", r.id(), timer ? " (timer)" : "",
                committed.ready().records().size(), forced ? ", forced" : "",
                committed.ready().messages().values().stream().mapToInt(List::size).sum(),
                committed.ready().answers().size());
        for (Map.Entry<Integer, List<ReplicaCore.Outgoing>> e : committed.leaving().entrySet()) {
            for (ReplicaCore.Outgoing m : e.getValue()) {
                links.release(r.id(), e.getKey(), m.seq(), m.message(), now + delay())
                        .ifPresent(problem -> violations.add(CrashCheck.LINK, "step " + now + ": " + problem));
            }
        }
        for (SimulatedReplica.Answered a : committed.answers()) {
            answer(r, a);
        }
        if (forced && random.nextInt(setup.snapshotOneIn()) == 0 && r.takeSnapshot()) {
            stats.add(Counter.SNAPSHOTS);
            log("replica %d takes a snapshot covering %d records", r.id(), r.disk().totalRecords());
        }
    }

    /**
     * How long a message or ack takes: usually up to {@link CrashSetup#maxDelay} steps; now and
     * then a long stall (a congested connection), long enough for a client to give up and retry
     * elsewhere while its first attempt is still on its way.
     */
    private long delay() {
        if (random.nextInt(40) == 0) {
            return 20 + random.nextInt(100);
        }
        return random.nextInt(setup.maxDelay() + 1);
    }

    // ---- crashes and restarts -------------------------------------------------------------------

    /**
     * A planned crash event: usually one replica (preferably one mid-round), sometimes several,
     * sometimes all. Most are process crashes (the page cache survives), some power losses; after
     * some process crashes the power goes too, soon after the replica restarted.
     */
    private void crashIfPlanned() {
        if (crashPlan.isEmpty() || crashPlan.peekFirst() > now) {
            return;
        }
        crashPlan.pollFirst();
        List<SimulatedReplica> up = replicas.stream().filter(SimulatedReplica::up).toList();
        if (up.isEmpty()) {
            return;
        }
        List<SimulatedReplica> victims = new ArrayList<>();
        int dice = random.nextInt(100);
        if (dice < 65) {
            List<SimulatedReplica> midRound = up.stream().filter(r -> r.roundPending() || r.node().unforced()).toList();
            List<SimulatedReplica> from = !midRound.isEmpty() && random.nextBoolean() ? midRound : up;
            victims.add(from.get(random.nextInt(from.size())));
        } else if (dice < 85) {
            for (SimulatedReplica r : up) {
                if (random.nextBoolean()) {
                    victims.add(r);
                }
            }
            if (victims.size() < 2) {
                victims = new ArrayList<>(up.subList(0, Math.min(2, up.size())));
            }
        } else {
            victims.addAll(up);
        }
        if (victims.size() > 1) {
            stats.add(Counter.MULTI_CRASHES);
        }
        if (victims.size() == replicas.size()) {
            stats.add(Counter.WHOLE_CLUSTER_CRASHES);
        }
        boolean powerLoss = random.nextInt(4) == 0;     // a power loss takes every victim at once
        for (SimulatedReplica r : victims) {
            // Killed (or the power goes) while its round's force is under way: the round's early
            // answers have left, nothing else has.
            if (r.roundPending() && random.nextInt(powerLoss ? 2 : 3) == 0) {
                log("replica %d %s while its round's force is under way", r.id(), powerLoss ? "loses power" : "is killed");
                List<SimulatedReplica.Answered> early = r.beginCommitAndDie(now);
                stats.add(Counter.CRASHES_DURING_FORCE);
                for (SimulatedReplica.Answered a : early) {
                    stats.add(Counter.EARLY_ANSWERS_BEFORE_CRASH);
                    answer(r, a);
                }
            }
            SimulatedDisk.Damage damage = crash(r, powerLoss);
            // What a process crash left in the page cache is read back but not durable: the most
            // telling moment for the power to go is soon after the restart, before its first force.
            if (!powerLoss && random.nextInt(damage.kept() > 0 ? 2 : 4) == 0) {
                r.planPowerLoss(r.downUntil() + 1 + random.nextInt(4));
            }
        }
    }

    /** A power loss planned for soon after a restart: strikes whether the replica is up or still down. */
    private void powerLossIfPlanned() {
        for (SimulatedReplica r : replicas) {
            if (r.powerLossAt() != now) {
                continue;
            }
            r.planPowerLoss(-1);
            stats.add(Counter.POWER_LOSSES_AFTER_RESTART);
            if (r.up()) {
                crash(r, true);
            } else {
                SimulatedDisk.Damage damage = r.powerLossWhileDown(random);
                intactShapes.remove(r.id());
                stats.add(Counter.UNFORCED_LOST, damage.lost());
                log("replica %d loses power while down: %d of %d unforced records kept", r.id(), damage.kept(),
                        damage.unforced());
            }
        }
    }

    /**
     * The volatile part is gone: the node, the calls waiting at the replica, its round. What it had
     * released is on the wire already and may still land. Clients talking to it notice and retry.
     */
    private SimulatedDisk.Damage crash(SimulatedReplica r, boolean powerLoss) {
        Shape before = Shape.of(r.core());
        boolean midRound = r.roundPending() || r.node().unforced();
        // The round's records never reached the disk: a crash now loses them, as it must.
        boolean roundLost = r.node().pendingRecords() > 0;
        stats.add(Counter.EXPIRED_CLIENTS, r.core().state().expiredClients());
        boolean keptApplies = r.keepingApplies();
        boolean deferred = r.node().holdsMessages();
        SimulatedDisk.Damage damage = r.crash(random, powerLoss, now + 1 + random.nextInt(setup.maxDown()));
        for (CrashClient c : clients) {
            if (c.waitingAt(r.id())) {
                c.lostContact(now + 1 + random.nextInt(5));
                stats.add(Counter.CRASH_DISCONNECTS);
            }
        }
        if (damage.lost() == 0 && !roundLost) {
            intactShapes.put(r.id(), before);
        } else {
            intactShapes.remove(r.id());
        }
        stats.add(Counter.CRASHES);
        stats.add(powerLoss ? Counter.POWER_LOSSES : Counter.PROCESS_CRASHES);
        stats.add(Counter.MID_ROUND_CRASHES, midRound ? 1 : 0);
        stats.add(Counter.CRASHES_WITH_APPLIES_KEPT, keptApplies ? 1 : 0);
        stats.add(Counter.CRASHES_WITH_FORCE_DEFERRED, deferred ? 1 : 0);
        stats.add(Counter.UNFORCED_LOST, damage.lost());
        stats.add(Counter.UNFORCED_KEPT, damage.kept());
        log("replica %d %s%s: %d unforced records, %d kept%s; down until step %d", r.id(),
                powerLoss ? "LOSES POWER" : "CRASHES", midRound ? " mid-round" : "", damage.unforced(), damage.kept(),
                damage.torn() ? ", one torn" : "", r.downUntil());
        return damage;
    }

    private void restartDueReplicas() {
        for (SimulatedReplica r : replicas) {
            if (!r.up() && r.downUntil() <= now) {
                restart(r);
            }
        }
    }

    /**
     * Rebuild from the disk, check what came back. Now and then an operator first restarts it with
     * a different client expiry in its configuration: recovery must refuse that (the disk says
     * what it was written under), and the operator then restarts it right.
     */
    private void restart(SimulatedReplica r) {
        if (r.disk().hasDurableState() && random.nextInt(20) == 0) {
            Agreement wrong = new Agreement(r.agreement().members(), r.agreement().clientExpiryMillis() + 1000);
            try {
                r.restart(wrong);
                violations.add(CrashCheck.CONFIGURATION, "step " + now + ": replica " + r.id()
                        + " restarted under " + wrong.describe() + " though its disk was written under "
                        + r.agreement().describe());
                r.crash(random, false, now);      // take it down again, and bring it back right
            } catch (Agreement.Mismatch refused) {
                stats.add(Counter.MISCONFIGURED_RESTARTS_REFUSED);
                log("replica %d refuses to start under %s: %s", r.id(), wrong.describe(), refused.getMessage());
            }
        }
        SimulatedReplica.Restart how = r.restart(r.agreement());
        stats.add(Counter.RESTARTS);
        stats.add(Counter.FROM_SNAPSHOT, how.fromSnapshot() ? 1 : 0);
        stats.add(Counter.REPLAYED, how.replayed());
        stats.add(Counter.TORN_DROPPED, how.droppedTorn() ? 1 : 0);
        log("replica %d restarts from %s + %d records%s: applied %d, clock %d", r.id(),
                how.fromSnapshot() ? "its snapshot" : "scratch", how.replayed(),
                how.droppedTorn() ? " (torn record dropped)" : "",
                r.core().state().appliedCount(), r.core().state().clock().time());
        checkRecovered(r);
        for (int peer = 1; peer <= replicas.size(); peer++) {
            if (peer != r.id()) {
                // What it had released before the crash is replaced by what its first round re-sends.
                links.clearOutbox(r.id(), peer);
                stats.add(Counter.RESENT, r.core().unconfirmed(peer).size());
            }
        }
        lastProgress = now;
    }

    /**
     * The replayed prefix must match what was applied before: the recovered applied count is at
     * most what this replica applied live, and its data digest is the agreed digest at that
     * position. The live record is cut back to it (what lay beyond was volatile and is lost; it
     * will be applied again, and checked again). A crash that lost no record must give back the
     * very same state. And nothing the world saw may be forgotten.
     */
    private void checkRecovered(SimulatedReplica r) {
        ReplicaCore core = r.core();
        StateMachine state = core.state();
        List<Applied> live = appliedBy.get(r.id() - 1);
        long count = state.appliedCount();
        if (count > live.size()) {
            violations.add(CrashCheck.RECOVERY, "step " + now + ": replica " + r.id() + " recovered " + count
                    + " applied requests but had applied only " + live.size());
        } else {
            String expected = count == 0 ? EMPTY_DIGEST : agreed.get((int) count - 1).digest();
            if (!state.digest().equals(expected)) {
                violations.add(CrashCheck.RECOVERY, "step " + now + ": replica " + r.id() + " recovered " + count
                        + " applied requests with digest " + state.digest() + ", but the agreed digest there is "
                        + expected);
            }
            live.subList((int) count, live.size()).clear();
            if (replicas.size() == 1) {
                // A replica alone executes before its force: what it lost nobody else holds, and
                // nobody was answered (that waits for the force), so those positions are free again.
                agreed.subList((int) count, agreed.size()).clear();
            }
        }
        Shape before = intactShapes.remove(r.id());
        stats.add(Counter.INTACT_RESTARTS, before != null ? 1 : 0);
        if (before != null && !before.equals(Shape.of(core))) {
            violations.add(CrashCheck.RECOVERY, "step " + now + ": replica " + r.id()
                    + " lost no record but came back different:\n  before " + before + "\n  after  " + Shape.of(core));
        }
        for (int peer = 1; peer <= replicas.size(); peer++) {
            if (peer == r.id()) {
                continue;
            }
            if (core.heldFrom(peer) < links.maxReported(peer, r.id())) {
                violations.add(CrashCheck.DURABILITY, "step " + now + ": replica " + r.id() + " came back holding #"
                        + core.heldFrom(peer) + " from replica " + peer + " but had reported holding #"
                        + links.maxReported(peer, r.id()) + " durably");
            }
            if (core.nextSeqTo(peer) <= links.maxReleased(r.id(), peer)) {
                violations.add(CrashCheck.DURABILITY, "step " + now + ": replica " + r.id() + " came back numbering #"
                        + core.nextSeqTo(peer) + " next to replica " + peer + " but had released up to #"
                        + links.maxReleased(r.id(), peer));
            }
        }
    }

    // ---- the order check ------------------------------------------------------------------------

    /** Live applies only (replay reports none): same request, result and digest at each position everywhere. */
    private void onApplied(SimulatedReplica r, Request request, Result result) {
        List<Applied> live = appliedBy.get(r.id() - 1);
        int position = live.size();
        Applied applied = new Applied(request, result, r.core().state().digest());
        live.add(applied);
        lastProgress = now;
        if (live.size() != r.core().state().appliedCount()) {
            violations.add(CrashCheck.ORDER, "step " + now + ": replica " + r.id() + " counts "
                    + r.core().state().appliedCount() + " applied requests but reported " + live.size());
        }
        if (position == agreed.size()) {
            agreed.add(applied);
        } else if (!agreed.get(position).equals(applied)) {
            violations.add(CrashCheck.ORDER, "step " + now + ": request #" + (position + 1) + " applied at replica "
                    + r.id() + " is " + applied.describe() + "\n  but elsewhere " + agreed.get(position).describe());
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    SimulatedReplica replica(int id) {
        return replicas.get(id - 1);
    }

    static String describe(PeerMessage message) {
        if (message instanceof PeerMessage.RequestMsg r) {
            return "REQUEST " + r.requestId() + " " + String.join(" ", r.request().op().words()) + " client "
                    + r.request().client().clientId() + "#" + r.request().client().seq();
        }
        if (message instanceof PeerMessage.ApplyMsg a) {
            return "APPLY " + a.requestId() + " L=" + a.clock() + " " + a.result();
        }
        return "OK " + message.requestId() + " L=" + message.clock();
    }

    private void log(String format, Object... args) {
        if (trace != null) {
            trace.add("step " + now + ": " + String.format(format, args));
        }
    }

    long now() {
        return now;
    }

    // ---- what the end-of-run checks read ----------------------------------------------------------

    List<SimulatedReplica> replicas() {
        return Collections.unmodifiableList(replicas);
    }

    List<Applied> appliedAt(int id) {
        return Collections.unmodifiableList(appliedBy.get(id - 1));
    }

    List<Applied> agreedOrder() {
        return Collections.unmodifiableList(agreed);
    }

    List<CrashClient> clients() {
        return Collections.unmodifiableList(clients);
    }

    History history() {
        return history;
    }

    CrashStats stats() {
        return stats;
    }

    Violations<CrashCheck> violations() {
        return violations;
    }

    boolean stopped() {
        return stopped;
    }

    List<String> trace() {
        return trace == null ? List.of() : Collections.unmodifiableList(trace);
    }
}
