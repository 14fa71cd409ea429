package lamportkv.core;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The ordering rules of one replica: Lamport's total-order algorithm with per-request OKs.
 * This class is the whole algorithm; read it next to {@code PROTOCOL.md}.
 *
 * <ol>
 *   <li>A client operation: tick, stamp {@code r = (L, self, op)}, buffer {@code r}, send
 *       {@code REQUEST(r)} to every other replica.</li>
 *   <li>{@code REQUEST(r)}: update the clock, buffer {@code r}, send {@code OK(r)} to its origin at once.</li>
 *   <li>{@code OK(r)}: update the clock, record it.</li>
 *   <li>Execute (origin only) when {@code r} heads the buffer and every other replica's OK is in:
 *       apply, remove, send {@code APPLY(r)}, answer the client.</li>
 *   <li>{@code APPLY(r)}: update the clock, mark {@code r} released; released requests are applied
 *       only from the head of the buffer, in buffer order.</li>
 *   <li>A failing operation is still ordered and applied: it changes nothing and fails the same
 *       way everywhere.</li>
 * </ol>
 *
 * <p>It is pure: no threads, network, disk, wall clock or randomness. Inputs are method calls;
 * outputs go to {@link Effects}. The caller (a replica's event loop, or the simulator in tests)
 * must deliver each peer's messages exactly once and in the order that peer sent them (FIFO
 * links): the correctness argument depends on it. Not thread-safe, by design.
 */
public final class OrderingCore {

    /** What the core asks its caller to do. Called synchronously, on the caller's thread. */
    public interface Effects {
        /** Send {@code message} to replica {@code to}, after every message sent to it before. */
        void send(int to, PeerMessage message);

        /** This replica executed its own request: answer the client that {@code clientToken} names. */
        void executed(long clientToken, Request request, Result result);

        /** Any replica applied a request to its data (at the origin, right before {@link #executed}). */
        default void applied(Request request, Result result) {
        }

        /**
         * A peer message was taken in and the clock moved past it: {@code clock} is the clock right
         * after the receive. Called before anything the message causes (its OK, the applies it releases).
         */
        default void received(int from, PeerMessage message, long clock) {
        }

        /**
         * This replica applied a released request with another result than its origin's (the
         * result in its APPLY): the replicas' data differ. Called after the apply, with the state
         * consistent. The default throws {@link Divergence}, which a running replica must treat
         * as a bug (fail-stop); a test that studies what happens next may go on.
         */
        default void diverged(String why) {
            throw new Divergence(why);
        }
    }

    /** Far beyond any real clock, and far enough from overflow that {@code max(L, t) + 1} stays positive. */
    static final long MAX_STAMP = Long.MAX_VALUE / 4;

    private final int self;
    /** The other members of the current view, sorted: whose OK a request needs (rule 4). */
    private int[] others;
    private final StateMachine state;
    private final Effects out;
    /** The stamp of the last request each origin sent us: FIFO means they only grow. */
    private final Map<Integer, Long> lastRequestFrom = new HashMap<>();

    /**
     * @param self    this replica's id
     * @param members every replica's id, this one included
     */
    public OrderingCore(int self, Collection<Integer> members, StateMachine state, Effects out) {
        if (!members.contains(self)) {
            throw new IllegalArgumentException("replica " + self + " is not among the members " + members);
        }
        this.self = self;
        this.others = members.stream().mapToInt(Integer::intValue).filter(id -> id != self).sorted().distinct().toArray();
        this.state = Objects.requireNonNull(state, "state");
        this.out = Objects.requireNonNull(out, "out");
    }

    public int self() {
        return self;
    }

    public StateMachine state() {
        return state;
    }

    /**
     * The members of a new view (this replica among them, or not if it left): from now on "every
     * other replica" of the rules means every other member. Only between views, with an empty buffer.
     */
    void setMembers(Collection<Integer> members) {
        others = members.stream().mapToInt(Integer::intValue).filter(id -> id != self).sorted().distinct().toArray();
    }

    /** A new view: its links start again, so the stamps seen from each origin start again too. */
    void newView(Collection<Integer> members) {
        setMembers(members);
        lastRequestFrom.clear();
    }

    /**
     * Rule V4: the state at the start of view {@code next}, from the state of the view before it
     * (which this replica holds, stopped or not). First apply from its own buffer, in order, what
     * the most advanced reporter had applied; what it applied beyond that can only be the first
     * kept requests (every executed request is in a report). Then drop every pending request that
     * is not kept (it was in no report of the majority, so it never executed), put the kept ones in
     * the buffer, released, and apply them all from the head; the origin answers its client as it
     * applies its own. The clock moves above every kept stamp and every reported clock, and the
     * buffer is empty.
     */
    void install(Decision next) {
        while (state.appliedCount() < next.appliedCount()) {
            PendingRequest head = state.head().orElseThrow(() -> new IllegalStateException("replica " + self
                    + " has applied " + state.appliedCount() + " requests and holds no more, but " + next.view()
                    + " starts after " + next.appliedCount()));
            if (next.lastApplied().isEmpty() || head.id().compareTo(next.lastApplied().get()) > 0) {
                throw new IllegalStateException("replica " + self + " would apply " + head.id() + " to catch up with "
                        + next.lastApplied().orElse(null) + ", beyond it");
            }
            applyAtInstall(head);
        }
        long beyond = state.appliedCount() - next.appliedCount();
        if (beyond > next.kept().size()
                || beyond > 0 && !state.lastApplied().equals(Optional.of(next.kept().get((int) beyond - 1).id()))) {
            throw new IllegalStateException("replica " + self + " has applied " + state.appliedCount() + " requests, last "
                    + state.lastApplied().orElse(null) + ", which " + next.view() + " does not start from");
        }
        List<Request> rest = next.kept().subList((int) beyond, next.kept().size());
        java.util.Set<RequestId> keep = new java.util.HashSet<>();
        rest.forEach(r -> keep.add(r.id()));
        state.removeIf(p -> !keep.contains(p.id()));
        for (Request r : rest) {
            if (state.pending(r.id()).isEmpty()) {
                state.enqueue(new PendingRequest(r, -1));
            }
        }
        for (Optional<PendingRequest> head = state.head(); head.isPresent(); head = state.head()) {
            applyAtInstall(head.get());
        }
        state.clock().onReceive(next.clockFloor());
        newView(next.view().members());
    }

    private void applyAtInstall(PendingRequest p) {
        Result result = state.applyHead();
        if (p.released() && !result.equals(p.originResult().orElseThrow())) {
            out.diverged("replica " + self + " applied " + p.id() + " at a view change with result " + describe(result)
                    + ", but its origin got " + describe(p.originResult().get()));
        }
        out.applied(p.request(), result);
        if (p.id().origin() == self) {
            out.executed(p.clientToken(), p.request(), result);
        }
    }

    /** Rule 1 for an anonymous operation (never deduplicated). */
    public RequestId onClientOperation(Operation op, long clientToken) {
        return onClientOperation(op, ClientTag.NONE, clientToken);
    }

    /** Rule 1. Returns the new request's id; {@link Effects#executed} answers it later (or at once, alone). */
    public RequestId onClientOperation(Operation op, ClientTag client, long clientToken) {
        long stamp = state.clock().onSend();
        Request r = new Request(new RequestId(stamp, self), op, client);
        state.enqueue(new PendingRequest(r, clientToken));
        for (int peer : others) {
            out.send(peer, new PeerMessage.RequestMsg(r));
        }
        makeProgress();
        return r.id();
    }

    /** An internal event (the {@code tick} command). Returns the new clock. */
    public long onInternalEvent() {
        return state.clock().onInternalEvent();
    }

    /**
     * Rules 2, 3 and 5: a message from replica {@code from}. A message the rules cannot accept
     * is refused with {@link ProtocolViolation} before anything changes.
     */
    public void onMessage(int from, PeerMessage message) {
        if (from == self || Arrays.binarySearch(others, from) < 0) {
            throw new ProtocolViolation("message from replica " + from + ", which is not a peer of replica " + self);
        }
        if (message.clock() < 0 || message.clock() > MAX_STAMP) {
            throw new ProtocolViolation("replica " + from + " sent clock " + message.clock()
                    + ", outside 0.." + MAX_STAMP);
        }
        if (message instanceof PeerMessage.RequestMsg request) {
            onRequest(from, request);
        } else if (message instanceof PeerMessage.OkMsg ok) {
            onOk(from, ok);
        } else if (message instanceof PeerMessage.ApplyMsg apply) {
            onApply(from, apply);
        } else {
            throw new ProtocolViolation("unknown message " + message);
        }
        makeProgress();
    }

    private void onRequest(int from, PeerMessage.RequestMsg message) {
        Request r = message.request();
        if (r.id().origin() != from) {
            throw new ProtocolViolation("replica " + from + " sent a request stamped by replica " + r.id().origin());
        }
        long last = lastRequestFrom.getOrDefault(from, 0L);
        if (r.id().ts() <= last) {
            throw new ProtocolViolation("replica " + from + " sent request " + r.id()
                    + " after request stamped " + last + ": stamps from one origin only grow");
        }
        lastRequestFrom.put(from, r.id().ts());
        out.received(from, message, state.clock().onReceive(r.id().ts()));
        state.enqueue(new PendingRequest(r, -1));
        out.send(from, new PeerMessage.OkMsg(r.id(), state.clock().onSend()));
    }

    private void onOk(int from, PeerMessage.OkMsg ok) {
        PendingRequest p = state.pending(ok.requestId())
                .filter(q -> q.id().origin() == self)
                .orElseThrow(() -> new ProtocolViolation("replica " + from + " sent OK for " + ok.requestId()
                        + ", which is not a pending request of replica " + self));
        if (p.oksFrom().contains(from)) {
            throw new ProtocolViolation("replica " + from + " sent a second OK for " + ok.requestId());
        }
        out.received(from, ok, state.clock().onReceive(ok.clock()));
        p.recordOk(from);
    }

    private void onApply(int from, PeerMessage.ApplyMsg apply) {
        PendingRequest p = state.pending(apply.requestId())
                .filter(q -> q.id().origin() == from && !q.released())
                .orElseThrow(() -> new ProtocolViolation("replica " + from + " sent APPLY for " + apply.requestId()
                        + ", which is not an unreleased request of that replica here"));
        out.received(from, apply, state.clock().onReceive(apply.clock()));
        p.release(apply.result());
    }

    /** Rules 4 and 5: execute or apply from the head of the buffer while the rules allow it. */
    private void makeProgress() {
        for (Optional<PendingRequest> head = state.head(); head.isPresent(); head = state.head()) {
            PendingRequest p = head.get();
            if (p.released()) {
                Result result = state.applyHead();
                Result origin = p.originResult().orElseThrow();
                if (!result.equals(origin)) {
                    out.diverged("replica " + self + " applied " + p.id() + " " + String.join(" ", p.request().op().words())
                            + " with result " + describe(result) + ", but its origin, replica " + p.id().origin()
                            + ", got " + describe(origin) + ": the replicas' data differ");
                }
                out.applied(p.request(), result);
            } else if (p.id().origin() == self && p.oksFrom().size() == others.length) {
                Result result = state.applyHead();
                out.applied(p.request(), result);
                long stamp = state.clock().onSend();
                for (int peer : others) {
                    out.send(peer, new PeerMessage.ApplyMsg(p.id(), stamp, result));
                }
                out.executed(p.clientToken(), p.request(), result);
            } else {
                return;
            }
        }
    }

    private static String describe(Result r) {
        return (r.ok() ? "" : "error ") + "\"" + (r.text().length() > 80 ? r.text().substring(0, 77) + "..." : r.text()) + "\"";
    }

    /** The replicas this replica's own pending requests wait for, all of them ({@link #waitingFor} of the last). */
    public SortedSet<Integer> waitingForOwnRequests() {
        RequestId last = null;
        for (PendingRequest p : state.bufferInOrder()) {
            if (p.id().origin() == self) {
                last = p.id();
            }
        }
        return last == null ? new TreeSet<>() : waitingFor(last);
    }

    void writeTo(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(lastRequestFrom.size());
        for (Map.Entry<Integer, Long> e : lastRequestFrom.entrySet()) {
            out.writeInt(e.getKey());
            out.writeLong(e.getValue());
        }
    }

    void readFrom(java.io.DataInput in) throws java.io.IOException {
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            lastRequestFrom.put(in.readInt(), in.readLong());
        }
    }

    /**
     * The replicas a pending request of this replica waits for: those whose OK is missing, or,
     * once every OK is in, whoever must act on the requests ahead of it. Empty if it is not
     * pending (already executed, or unknown).
     */
    public SortedSet<Integer> waitingFor(RequestId id) {
        SortedSet<Integer> waiting = new TreeSet<>();
        Optional<PendingRequest> pending = state.pending(id);
        if (pending.isEmpty()) {
            return waiting;
        }
        for (PendingRequest ahead : state.bufferInOrder()) {
            if (ahead.id().compareTo(id) > 0) {
                break;
            }
            if (ahead.id().origin() == self) {
                for (int peer : others) {
                    if (!ahead.oksFrom().contains(peer)) {
                        waiting.add(peer);
                    }
                }
            } else if (!ahead.released()) {
                waiting.add(ahead.id().origin());
            }
        }
        return waiting;
    }
}
