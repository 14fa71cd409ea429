package lamportkv.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import lamportkv.check.History;
import lamportkv.core.ClientTag;
import lamportkv.core.Operation;
import lamportkv.core.OrderingCore;
import lamportkv.core.PeerMessage;
import lamportkv.core.ProtocolViolation;
import lamportkv.core.Request;
import lamportkv.core.RequestId;
import lamportkv.core.Result;
import lamportkv.core.StateMachine;

/**
 * N {@link OrderingCore}s, replicas {@code 1..N}, over a {@link SimulatedNetwork}, with closed-loop
 * clients. One {@link #step} either lets an idle client send its next operation or delivers one
 * message; every choice comes from the seeded {@link Random}, so a seed replays exactly. Time is
 * the step counter, for the {@link History} too.
 *
 * <p>Checked during the run, because it is cheap and points at the exact step: the clock rules
 * (no clock goes backwards, each link's stamps grow, a receiver's clock passes the stamp it
 * received), every replica applies the same request at each position of its sequence, and every
 * answer goes to the client that asked.
 */
final class SimulatedCluster {

    /** One request applied at one replica, with the result it computed there. */
    record Applied(int replica, Request request, Result result) {
        String describe() {
            return request.id() + " " + String.join(" ", request.op().words()) + " at replica " + replica;
        }
    }

    /**
     * A closed-loop client: at most one operation outstanding. It usually talks to its home
     * replica (so each replica has several clients) and sometimes to another, so an operation
     * that completed at one replica is followed by one at another: the case a stale read needs.
     * Its {@link ClientTag} carries the step as wall time, so the client table's expiry runs too.
     */
    static final class Client {
        final int id;
        final int home;
        int remaining;
        long seq;
        Operation op;
        int replica;
        RequestId requestId;
        History.Call call;

        Client(int id, int home, int operations) {
            this.id = id;
            this.home = home;
            this.remaining = operations;
        }

        boolean ready() {
            return call == null && remaining > 0;
        }
    }

    private final int size;
    private final Random random;
    private final double issueBias;
    private final Workload workload;
    private final SimulatedNetwork network;
    private final History history = new History(this::now);
    private final List<OrderingCore> cores = new ArrayList<>();
    private final List<List<Applied>> appliedBy = new ArrayList<>();
    /** Position k holds what the first replica to apply k requests applied k-th; all must agree. */
    private final List<Applied> agreedOrder = new ArrayList<>();
    private final Map<RequestId, Result> originResults = new HashMap<>();
    private final List<Client> clients = new ArrayList<>();
    private final long[] lastClock;
    /** The stamp of the last message on each link {@code [from][to]}: every send ticks, so they grow. */
    private final long[][] lastStampSent;
    private final Violations<Check> violations = new Violations<>(Check.class, Check::title);
    private final List<String> trace;
    private long step;
    private int issued;
    private boolean stopped;

    /**
     * @param issueBias the chance that a step sends a client operation rather than a message,
     *                  while both are possible: low means little concurrency, high means a lot
     */
    SimulatedCluster(int size, int clientsPerReplica, int operationsPerClient, double issueBias,
                     long clientExpiry, boolean fifo, Random random, Workload workload, boolean tracing) {
        this.size = size;
        this.random = random;
        this.issueBias = issueBias;
        this.workload = workload;
        this.network = new SimulatedNetwork(size, fifo);
        this.lastClock = new long[size + 1];
        this.lastStampSent = new long[size + 1][size + 1];
        this.trace = tracing ? new ArrayList<>() : null;
        List<Integer> members = IntStream.rangeClosed(1, size).boxed().toList();
        for (int id = 1; id <= size; id++) {
            cores.add(new OrderingCore(id, members, new StateMachine(clientExpiry), effectsOf(id)));
            appliedBy.add(new ArrayList<>());
        }
        for (int c = 0; c < size * clientsPerReplica; c++) {
            clients.add(new Client(c, c % size + 1, operationsPerClient));
        }
    }

    /** Steps until every client is done and the network has drained, or {@code maxSteps}. */
    void run(long maxSteps) {
        while (!stopped && step < maxSteps && step()) {
            // each step checks its own invariants
        }
    }

    /** One step; false if there is nothing left to do. */
    boolean step() {
        List<Client> ready = clients.stream().filter(Client::ready).toList();
        if (ready.isEmpty() && network.idle()) {
            return false;
        }
        step++;
        if (!ready.isEmpty() && (network.idle() || random.nextDouble() < issueBias)) {
            issue(ready.get(random.nextInt(ready.size())));
        } else {
            deliver(network.takeRandom(random));
        }
        checkClocks();
        return true;
    }

    private void issue(Client c) {
        // Client 0 first creates the counter; adds that overtake it fail with "no such key".
        c.op = c.id == 0 && c.seq == 0 ? Workload.INIT_COUNTER : workload.next();
        c.replica = random.nextInt(4) > 0 ? c.home : 1 + random.nextInt(size);
        c.remaining--;
        c.call = history.invoke(c.id, c.op);
        log("client %d -> replica %d: %s", c.id, c.replica, String.join(" ", c.op.words()));
        c.requestId = core(c.replica).onClientOperation(c.op, new ClientTag(c.id + 1, ++c.seq, step), c.id);
        issued++;
    }

    private void deliver(SimulatedNetwork.Delivery d) {
        log("%d -> %d: %s", d.from(), d.to(), describe(d.message()));
        try {
            core(d.to()).onMessage(d.from(), d.message());
        } catch (ProtocolViolation e) {
            violations.add(Check.PROTOCOL, "step " + step + ": replica " + d.to() + " refused " + describe(d.message())
                    + " from replica " + d.from() + ": " + e.getMessage());
            stopped = true;
            return;
        }
        long now = core(d.to()).state().clock().time();
        if (now <= d.message().clock()) {      // receive: L = max(L, t) + 1
            violations.add(Check.CLOCK, "step " + step + ": replica " + d.to() + " received " + describe(d.message())
                    + " but its clock is only " + now);
        }
    }

    private void onSend(int from, int to, PeerMessage message) {
        long stamp = message.clock();
        long clock = core(from).state().clock().time();
        if (stamp <= lastStampSent[from][to] || stamp > clock) {   // send: L = L + 1, carried
            violations.add(Check.CLOCK, "step " + step + ": replica " + from + " (clock " + clock + ") sent "
                    + describe(message) + " to replica " + to + " after a message stamped " + lastStampSent[from][to]);
        }
        lastStampSent[from][to] = stamp;
        network.send(from, to, message);
    }

    private OrderingCore.Effects effectsOf(int replica) {
        return new OrderingCore.Effects() {
            @Override
            public void diverged(String why) {
                // A running replica would stop here (fail-stop); this simulation goes on, so that
                // its own RESULTS, ORDER and end-state checks show what divergence does.
                log("divergence alarm: %s", why);
            }

            @Override
            public void send(int to, PeerMessage message) {
                onSend(replica, to, message);
            }

            @Override
            public void executed(long clientToken, Request request, Result result) {
                answer(replica, (int) clientToken, request, result);
            }

            @Override
            public void applied(Request request, Result result) {
                onApplied(replica, request, result);
            }
        };
    }

    private void answer(int replica, int clientId, Request request, Result result) {
        log("replica %d answers client %d: %s %s", replica, clientId, request.id(), result);
        Client c = clientId >= 0 && clientId < clients.size() ? clients.get(clientId) : null;
        if (c == null || c.call == null || c.replica != replica || !c.op.equals(request.op())) {
            violations.add(Check.ANSWERS, "step " + step + ": replica " + replica + " answered client "
                    + clientId + " for " + request.id() + " " + String.join(" ", request.op().words())
                    + ", which that client is not waiting for there");
            return;
        }
        c.call.complete(result);
        c.call = null;
    }

    private void onApplied(int replica, Request request, Result result) {
        Applied applied = new Applied(replica, request, result);
        List<Applied> log = appliedBy.get(replica - 1);
        int position = log.size();
        log.add(applied);
        if (position == agreedOrder.size()) {
            agreedOrder.add(applied);
        } else if (!agreedOrder.get(position).request().id().equals(request.id())) {
            violations.add(Check.ORDER, "step " + step + ": request #" + (position + 1) + " applied is "
                    + applied.describe() + " but " + agreedOrder.get(position).describe());
        }
        if (request.id().origin() == replica) {
            originResults.put(request.id(), result);
        }
    }

    private void checkClocks() {
        for (int id = 1; id <= size; id++) {
            long now = core(id).state().clock().time();
            if (now < lastClock[id]) {
                violations.add(Check.CLOCK, "step " + step + ": replica " + id + "'s clock went from "
                        + lastClock[id] + " back to " + now);
            }
            lastClock[id] = now;
        }
    }

    static String describe(PeerMessage message) {
        if (message instanceof PeerMessage.RequestMsg r) {
            return "REQUEST " + r.requestId() + " " + String.join(" ", r.request().op().words());
        }
        if (message instanceof PeerMessage.ApplyMsg a) {
            return "APPLY " + a.requestId() + " L=" + a.clock() + " result " + a.result();
        }
        return "OK " + message.requestId() + " L=" + message.clock();
    }

    private void log(String format, Object... args) {
        if (trace != null) {
            trace.add("step " + step + ": " + String.format(format, args));
        }
    }

    private long now() {
        return step;
    }

    // ---- what the end-of-run checks read --------------------------------------------------------

    int size() {
        return size;
    }

    OrderingCore core(int id) {
        return cores.get(id - 1);
    }

    List<Applied> appliedAt(int id) {
        return Collections.unmodifiableList(appliedBy.get(id - 1));
    }

    Optional<Result> originResult(RequestId id) {
        return Optional.ofNullable(originResults.get(id));
    }

    List<Client> clients() {
        return Collections.unmodifiableList(clients);
    }

    History history() {
        return history;
    }

    Violations<Check> violations() {
        return violations;
    }

    /** Whether a protocol violation stopped the run early. */
    boolean stopped() {
        return stopped;
    }

    boolean drained() {
        return network.idle() && clients.stream().noneMatch(Client::ready);
    }

    long steps() {
        return step;
    }

    int issued() {
        return issued;
    }

    List<String> trace() {
        return trace == null ? List.of() : Collections.unmodifiableList(trace);
    }
}
