package lamportkv.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A replica's whole deterministic state: the {@link OrderingCore} over its {@link StateMachine},
 * plus the bookkeeping of its links — the last message it holds from each peer, and what it sent
 * each peer that the peer has not confirmed yet. Pure, like the ordering core.
 *
 * <p><b>Durability by replay.</b> Every input that changes the state (a client operation, a
 * received message, a tick) is handed to {@link Output#record} as a journal record before its
 * effects are handed on. The caller appends records to a write-ahead log and forces it before any
 * message of the same round leaves or any client is answered. After a crash, {@link #restore}
 * from the last {@link #snapshot} and {@link #replay} of the later records rebuild exactly the
 * state that produced everything the world has seen: the core is deterministic, so replay sends
 * the same messages with the same link sequence numbers, and peers drop what they hold already.
 *
 * <p>Confirmations ({@link #confirmed}) are not journaled: forgetting one only means re-sending
 * messages that the peer will drop.
 */
public final class ReplicaCore {

    /** What the replica must do with the core's output. Called synchronously. */
    public interface Output {
        /** Append this journal record to the log; it must be durable before this round's effects leave. */
        void record(byte[] record);

        /** Send message number {@code seq} of the link to {@code to}. */
        void send(int to, long seq, PeerMessage message);

        /** Answer the client that {@code clientToken} names. */
        void executed(long clientToken, Request request, Result result);

        /** A request was applied to the data here. */
        default void applied(Request request, Result result) {
        }

        /**
         * Message {@code seq} of the link from {@code from} was taken in; {@code clock} is the clock
         * right after the receive. Reported before anything the message causes.
         */
        default void received(int from, long seq, PeerMessage message, long clock) {
        }

        /** Send a view message (rules V2-V7); like every output, it leaves only once the round is durable. */
        default void sendView(int to, ViewMessage message) {
        }

        /**
         * A view record was journaled: force it with this round even if nothing leaves, so that
         * a replica's view, once it acts in it, never goes back.
         */
        default void forceRound() {
        }

        /** This replica stopped ordering for a view change (rule V3): it stamps nothing more in this view. */
        default void stopped() {
        }

        /**
         * This replica is in view {@code next} now, with the state ({@code installed}) or without
         * it; every link starts again, numbered from 1, and what was queued for the old view is void.
         */
        default void viewChanged(Decision next, boolean installed) {
        }
    }

    /** What became of a received message. */
    public enum Receipt {
        /** New, in order, taken in. */
        ACCEPTED,
        /** Held already: a re-send. Dropped. */
        DUPLICATE,
        /** An earlier message is missing: dropped; the sender re-sends from the one after what is held. */
        GAP,
        /** In order, but the rules refused it ({@link ProtocolViolation}): consumed, state untouched. */
        REFUSED,
        /**
         * Of another view, or this replica does not order now (rule V1): not taken, not journaled.
         * The sender keeps it; a view change makes it void.
         */
        OTHER_VIEW
    }

    /** A message on its way to a peer, with its link sequence number. */
    public record Outgoing(long seq, PeerMessage message) {
    }

    private static final byte CLIENT_OP = 1, RECEIVED = 2, TICK = 3, AGREEMENT = 4, VIEW = 5;
    /**
     * Version 2 added the client expiry (the whole {@link Agreement}), version 3 the view and the
     * last applied request, version 4 the revisions, the history of changes and the locks
     * ({@link StateMachine#STATE_VERSION}); versions 1 to 3 are still read (as view 0 before 3).
     */
    private static final int SNAPSHOT_VERSION = StateMachine.STATE_VERSION;

    private final int self;
    /** The members (sorted) and the client expiry: what this state was built under. */
    private final Agreement agreement;
    private final StateMachine state;
    private final OrderingCore core;
    private final Membership membership;

    private final Map<Integer, Long> heldFrom = new TreeMap<>();
    private final Map<Integer, Long> nextSeqTo = new TreeMap<>();
    private final Map<Integer, ArrayDeque<Outgoing>> unconfirmed = new TreeMap<>();
    private Output out;
    private boolean replaying;
    /** The link number of the message being taken in, for {@link Output#received}. */
    private long receivingSeq;

    /** A fresh replica: empty data, clock 0, no links used yet, in view 0. */
    public ReplicaCore(int self, Collection<Integer> members, long clientExpiryMillis, Output out) {
        this(self, members, new StateMachine(clientExpiryMillis), Set.of(), out);
    }

    /** As above, with bugs put back ({@link Flaw}; tests only). */
    public ReplicaCore(int self, Collection<Integer> members, long clientExpiryMillis, Set<Flaw> flaws, Output out) {
        this(self, members, new StateMachine(clientExpiryMillis), flaws, out);
    }

    private ReplicaCore(int self, Collection<Integer> members, StateMachine state, Set<Flaw> flaws, Output out) {
        this.self = self;
        this.agreement = new Agreement(List.copyOf(members), state.clientExpiryMillis());
        this.state = state;
        this.out = Objects.requireNonNull(out, "out");
        this.core = new OrderingCore(self, agreement.members(), state, new CoreEffects());
        this.membership = new Membership(self, agreement.members(), flaws, new ViewHost());

        for (int peer : agreement.members()) {
            if (peer != self) {
                heldFrom.put(peer, 0L);
                nextSeqTo.put(peer, 1L);
                unconfirmed.put(peer, new ArrayDeque<>());
            }
        }
    }

    public int self() {
        return self;
    }

    public List<Integer> members() {
        return agreement.members();
    }

    /** The members and client expiry this state was built under. */
    public Agreement agreement() {
        return agreement;
    }

    public StateMachine state() {
        return state;
    }

    /** Views: which one this replica is in, and how they change. Change state only through this class. */
    public Membership membership() {
        return membership;
    }

    /** The ordering rules, for queries ({@link OrderingCore#waitingFor}). Change state only through this class. */
    public OrderingCore ordering() {
        return core;
    }

    // ---- inputs: each one a journal record ----------------------------------------------------

    /**
     * The first record of a fresh log: the {@link Agreement} this replica starts under, so that a
     * restart under a different configuration is refused even before the first snapshot.
     */
    public void recordAgreement() {
        journal(o -> {
            o.writeByte(AGREEMENT);
            o.writeInt(members().size());
            for (int id : members()) {
                o.writeInt(id);
            }
            o.writeLong(agreement.clientExpiryMillis());
        });
    }

    /** The first records of an empty disk after the agreement: see {@link Membership#fresh}. */
    public void recordFresh(long incarnation) {
        membership.fresh(incarnation);
    }

    /** A client's operation arrives here (rule 1). Only while ordering runs here ({@link Membership#ordering}). */
    public RequestId clientOperation(Operation op, ClientTag client, long clientToken) {
        if (!membership.ordering()) {
            throw new IllegalStateException("replica " + self + " stamps an operation while " + membership.condition());
        }
        journal(o -> {
            o.writeByte(CLIENT_OP);
            Codec.writeClient(o, client);
            Codec.writeOperation(o, op);
        });
        return core.onClientOperation(op, client, clientToken);
    }

    /** Message {@code seq} of the link from {@code from} arrives in this replica's current view. */
    public Receipt received(int from, long seq, PeerMessage message) {
        return received(from, membership.view().number(), seq, message);
    }

    /**
     * Message {@code seq} of the link from {@code from}, sent in view {@code viewNumber}, arrives
     * (rules 2, 3, 5). Taken only in this replica's own view, from a member, while ordering runs
     * here (rule V1).
     */
    public Receipt received(int from, long viewNumber, long seq, PeerMessage message) {
        Long held = heldFrom.get(from);
        if (held == null) {
            throw new ProtocolViolation("message from replica " + from + ", which is not a peer of replica " + self);
        }
        if (viewNumber != membership.view().number() || !membership.ordering() || !membership.view().has(from)) {
            return Receipt.OTHER_VIEW;
        }
        if (seq <= held) {
            return Receipt.DUPLICATE;
        }
        if (seq > held + 1) {
            return Receipt.GAP;
        }
        journal(o -> {
            o.writeByte(RECEIVED);
            o.writeInt(from);
            o.writeLong(seq);
            Codec.writeMessage(o, message);
        });
        heldFrom.put(from, seq);
        receivingSeq = seq;
        try {
            core.onMessage(from, message);
            return Receipt.ACCEPTED;
        } catch (ProtocolViolation refused) {
            return Receipt.REFUSED;
        }
    }

    /** A view message from {@code from} (rules V2-V7); it journals what it changes. */
    public void viewMessage(int from, ViewMessage message) {
        if (from != self && !heldFrom.containsKey(from)) {
            throw new ProtocolViolation("view message from replica " + from + ", which is not a peer of replica " + self);
        }
        membership.received(from, message);
    }

    /** The owner's view timer: see {@link Membership#timer}. */
    public void viewTimer(Set<Integer> heard, long random) {
        membership.timer(heard, random);
    }

    /** {@code from} is in view {@code viewNumber}, says its latest batch. */
    public void heardView(int from, long viewNumber) {
        if (heldFrom.containsKey(from)) {
            membership.heardView(from, viewNumber);
        }
    }

    /** An internal event (the {@code tick} command). Returns the new clock. */
    public long tick() {
        journal(o -> o.writeByte(TICK));
        return core.onInternalEvent();
    }

    /** The peer holds every message of our link up to {@code seq}: stop keeping them. */
    public void confirmed(int peer, long seq) {
        ArrayDeque<Outgoing> queue = unconfirmed.get(peer);
        while (queue != null && !queue.isEmpty() && queue.peekFirst().seq() <= seq) {
            queue.pollFirst();
        }
    }

    /** The highest message number of the link from {@code peer} that this replica holds. */
    public long heldFrom(int peer) {
        return heldFrom.getOrDefault(peer, 0L);
    }

    /** The messages for {@code peer} it has not confirmed yet, in order (after a restart: to re-send). */
    public List<Outgoing> unconfirmed(int peer) {
        return new ArrayList<>(unconfirmed.getOrDefault(peer, new ArrayDeque<>()));
    }

    /** The number the next message to {@code peer} will carry. */
    public long nextSeqTo(int peer) {
        return nextSeqTo.getOrDefault(peer, 1L);
    }

    // ---- recovery -----------------------------------------------------------------------------

    /** Re-applies a journal record read back from the log, without recording it again or answering anyone. */
    public void replay(byte[] record) {
        replaying = true;
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(record))) {
            byte type = in.readByte();
            switch (type) {
                case CLIENT_OP -> {
                    ClientTag client = Codec.readClient(in);
                    core.onClientOperation(Codec.readOperation(in), client, -1);
                }
                case RECEIVED -> {
                    int from = in.readInt();
                    long seq = in.readLong();
                    PeerMessage message = Codec.readMessage(in);
                    heldFrom.put(from, seq);
                    try {
                        core.onMessage(from, message);
                    } catch (ProtocolViolation refusedAgain) {
                        // It was refused the first time too, and changed nothing then either.
                    }
                }
                case TICK -> core.onInternalEvent();
                case AGREEMENT -> {
                    List<Integer> recorded = new ArrayList<>();
                    for (int i = in.readInt(); i > 0; i--) {
                        recorded.add(in.readInt());
                    }
                    Agreement.require(new Agreement(recorded, in.readLong()), agreement, "the log");
                }
                case VIEW -> membership.replay(in);
                default -> throw new IllegalStateException("unknown journal record type " + type);
            }
        } catch (IOException e) {
            throw new IllegalStateException("unreadable journal record: " + e, e);
        } finally {
            replaying = false;
        }
    }

    /** The whole state, to be stored; {@link #restore} reads it back. */
    public byte[] snapshot() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096);
        try (DataOutputStream o = new DataOutputStream(bytes)) {
            o.writeInt(SNAPSHOT_VERSION);
            o.writeInt(self);
            o.writeInt(members().size());
            for (int id : members()) {
                o.writeInt(id);
            }
            o.writeLong(agreement.clientExpiryMillis());
            state.writeTo(o);
            core.writeTo(o);
            writeLinks(o);
            membership.writeTo(o);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /**
     * A replica as it was when {@code snapshot} was taken. A snapshot of version 1 records no client
     * expiry: it is taken to be {@code clientExpiryMillis}. Does not check the members: see
     * {@link #checkAgreement}.
     */
    public static ReplicaCore restore(byte[] snapshot, long clientExpiryMillis, Output out) {
        return restore(snapshot, clientExpiryMillis, Set.of(), out);
    }

    /** As above, with bugs put back ({@link Flaw}; tests only). */
    public static ReplicaCore restore(byte[] snapshot, long clientExpiryMillis, Set<Flaw> flaws, Output out) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
            int version = in.readInt();
            if (version < 1 || version > SNAPSHOT_VERSION) {
                throw new IllegalStateException("snapshot version " + version + ", this program reads versions 1 to "
                        + SNAPSHOT_VERSION);
            }
            int self = in.readInt();
            int memberCount = in.readInt();
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < memberCount; i++) {
                members.add(in.readInt());
            }
            long expiry = version == 1 ? clientExpiryMillis : in.readLong();
            ReplicaCore r = new ReplicaCore(self, members, new StateMachine(expiry), flaws, out);
            r.state.readFrom(in, version);
            r.core.readFrom(in);
            for (int i = 0; i < memberCount - 1; i++) {
                int peer = in.readInt();
                r.heldFrom.put(peer, in.readLong());
                r.nextSeqTo.put(peer, in.readLong());
                int count = in.readInt();
                ArrayDeque<Outgoing> queue = r.unconfirmed.get(peer);
                for (int k = 0; k < count; k++) {
                    queue.add(new Outgoing(in.readLong(), Codec.readMessage(in)));
                }
            }
            if (version >= 3) {
                r.membership.readFrom(in);
                r.core.setMembers(r.membership.view().members());
            }
            return r;
        } catch (EOFException e) {
            throw new IllegalStateException("truncated snapshot", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Refuses to go on under a configuration other than the one this state was recorded under.
     *
     * @param where where the recorded agreement was read ("the log", "the snapshot")
     * @throws Agreement.Mismatch naming both
     */
    public void checkAgreement(Agreement configured, String where) {
        Agreement.require(agreement, configured, where);
    }

    private void writeLinks(DataOutputStream o) throws IOException {
        for (int peer : heldFrom.keySet()) {
            o.writeInt(peer);
            o.writeLong(heldFrom.get(peer));
            o.writeLong(nextSeqTo.get(peer));
            ArrayDeque<Outgoing> queue = unconfirmed.get(peer);
            o.writeInt(queue.size());
            for (Outgoing m : queue) {
                o.writeLong(m.seq());
                Codec.writeMessage(o, m.message());
            }
        }
    }

    // ---- plumbing -----------------------------------------------------------------------------

    interface RecordWriter {
        void write(DataOutputStream out) throws IOException;
    }

    private void journal(RecordWriter writer) {
        if (replaying) {
            return;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream o = new DataOutputStream(bytes)) {
            writer.write(o);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        out.record(bytes.toByteArray());
    }

    /** Every link starts again: a new view is a new incarnation of every link (numbers from 1). */
    private void restartLinks() {
        for (int peer : heldFrom.keySet()) {
            heldFrom.put(peer, 0L);
            nextSeqTo.put(peer, 1L);
            unconfirmed.get(peer).clear();
        }
    }

    /** What views ask of this replica's state. */
    private final class ViewHost implements Membership.Host {
        @Override
        public void journal(RecordWriter writer) {
            ReplicaCore.this.journal(o -> {
                o.writeByte(VIEW);
                writer.write(o);
            });
            out.forceRound();
        }

        @Override
        public void send(int to, ViewMessage message) {
            if (!replaying) {
                out.sendView(to, message);
            }
        }

        @Override
        public Report report(long incarnation, long viewNumber, boolean contributes) {
            List<Request> buffer = new ArrayList<>();
            for (PendingRequest p : state.bufferInOrder()) {
                buffer.add(p.request());
            }
            return new Report(self, incarnation, viewNumber, contributes, state.appliedCount(), state.lastApplied(),
                    state.clock().time(), contributes ? buffer : List.of());
        }

        @Override
        public void stopped() {
            if (!replaying) {
                out.stopped();
            }
        }

        @Override
        public void install(Decision next) {
            core.install(next);
            restartLinks();
            if (!replaying) {
                out.viewChanged(next, true);
            }
        }

        @Override
        public void leave(Decision next) {
            state.clearBuffer();
            core.newView(next.view().members());
            restartLinks();
            if (!replaying) {
                out.viewChanged(next, false);
            }
        }

        @Override
        public Optional<byte[]> exportState(long startApplied) {
            if (state.appliedCount() != startApplied) {
                return Optional.empty();
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096);
            try (DataOutputStream o = new DataOutputStream(bytes)) {
                state.writeTo(o, false);
            } catch (IOException e) {
                throw new UncheckedIOException("writing to memory cannot fail", e);
            }
            return Optional.of(bytes.toByteArray());
        }

        @Override
        public void importState(byte[] bytes, Decision view) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                state.replaceWith(in);
            } catch (IOException e) {
                throw new IllegalStateException("unreadable state from a member of " + view.view() + ": " + e, e);
            }
            core.newView(view.view().members());
            if (state.appliedCount() != view.startApplied()) {
                throw new IllegalStateException("the state received for " + view.view() + " has applied "
                        + state.appliedCount() + " requests, the view starts after " + view.startApplied());
            }
        }

        @Override
        public boolean startsFrom(Decision next) {
            return state.appliedCount() == next.appliedCount() && state.lastApplied().equals(next.lastApplied());
        }

        @Override
        public boolean neverHeardFrom(int replica) {
            return heldFrom.getOrDefault(replica, 0L) == 0 && nextSeqTo.getOrDefault(replica, 1L) == 1;
        }
    }

    /** The ordering core's effects, numbered per link and held until confirmed. */
    private final class CoreEffects implements OrderingCore.Effects {
        @Override
        public void send(int to, PeerMessage message) {
            long seq = nextSeqTo.merge(to, 1L, Long::sum) - 1;
            ArrayDeque<Outgoing> queue = unconfirmed.get(to);
            if (!queue.isEmpty() && queue.peekLast().seq() != seq - 1) {
                throw new IllegalStateException("link " + self + "→" + to + " numbers message " + seq
                        + " after " + queue.peekLast().seq() + ": link numbers must have no gaps");
            }
            queue.add(new Outgoing(seq, message));
            if (!replaying) {
                out.send(to, seq, message);
            }
        }

        @Override
        public void executed(long clientToken, Request request, Result result) {
            if (!replaying) {
                out.executed(clientToken, request, result);
            }
        }

        @Override
        public void applied(Request request, Result result) {
            if (!replaying) {
                out.applied(request, result);
            }
        }

        @Override
        public void received(int from, PeerMessage message, long clock) {
            if (!replaying) {
                out.received(from, receivingSeq, message, clock);
            }
        }
    }
}
