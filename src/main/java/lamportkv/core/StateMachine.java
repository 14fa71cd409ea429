package lamportkv.core;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.PriorityBlockingQueue;

/**
 * One replica's state, as in the original design: the data map, the buffer of requests ordered
 * by {@code (ts, origin)}, and the Lamport clock. {@link OrderingCore} decides what happens to it.
 *
 * <p>The buffer is a {@link PriorityBlockingQueue}, as the design card names it, but like the rest
 * of the state it is only ever touched by whoever runs the replica's current event-loop round (one at a
 * time, under the loop's lock).
 */
public final class StateMachine {
    private final SortedMap<String, Value> data = new TreeMap<>();
    /** The revision of each key's last change, deleted keys included: what {@code rev KEY} prints. */
    private final Map<String, Long> revisions = new HashMap<>();
    /** The recent changes, for watches. */
    private final Changes changes = new Changes();
    /** The lock table. */
    private final Locks locks = new Locks();
    /** What operations see while one is applied ({@link Operation.Store}). */
    private final Operation.Store store = new Operation.Store() {
        @Override
        public SortedMap<String, Value> data() {
            return data;
        }

        @Override
        public long revision() {
            return applied;
        }

        @Override
        public long revisionOf(String key) {
            return revisions.getOrDefault(key, 0L);
        }

        @Override
        public long orderMillis() {
            return orderMillis;
        }

        @Override
        public Locks locks() {
            return locks;
        }
    };
    private final PriorityBlockingQueue<PendingRequest> buffer =
            new PriorityBlockingQueue<>(64, Comparator.comparing(PendingRequest::id));
    private final Map<RequestId, PendingRequest> byId = new HashMap<>();
    /** How many requests of each origin the buffer holds. */
    private final Map<Integer, Integer> pendingByOrigin = new HashMap<>();
    private final LamportClock clock = new LamportClock();
    private long applied;
    /** The last request applied (null before the first). */
    private RequestId lastApplied;
    /** {@link #digest()} as it was at {@code digestApplied} applied operations (-1: not yet). */
    private long digestApplied = -1;
    private String digest;
    /**
     * The last result of each client's latest write, so a retried write that gets ordered twice
     * takes effect once. Least recently written first; entries idle longer than
     * {@link #clientExpiryMillis} in the order's own time ({@link #orderMillis}) are dropped.
     */
    private final LinkedHashMap<Long, ClientRecord> clients = new LinkedHashMap<>();
    private final long clientExpiryMillis;
    /**
     * The time of the order: the largest {@link ClientTag#wallMillis} of any tracked request
     * applied so far ({@link ClusterTime#UNKNOWN} before the first that carries one). Each such
     * stamp is already its origin's estimate of the <em>cluster's</em> time (the lower median of
     * the replicas' wall clocks, {@link ClusterTime}), so one replica whose clock runs hours ahead
     * cannot move it; and it depends only on the order, so every replica expires the same records
     * at the same position.
     */
    private long orderMillis;
    /** Client records dropped as idle, since this state machine was built (not replicated state: statistics). */
    private long expiredClients;

    /** What the client table remembers of one client: its last write, at which order time. */
    record ClientRecord(long seq, Result result, long orderMillis) {
    }

    /** Clients idle for an hour are forgotten: a retry later than that would apply twice. */
    public static final long DEFAULT_CLIENT_EXPIRY_MILLIS = 3_600_000;

    public StateMachine() {
        this(DEFAULT_CLIENT_EXPIRY_MILLIS);
    }

    /**
     * @param clientExpiryMillis how long a client's last result is kept; the same on every
     *                           replica, since it decides which retries are duplicates
     */
    public StateMachine(long clientExpiryMillis) {
        if (clientExpiryMillis <= 0) {
            throw new IllegalArgumentException("client expiry must be positive: " + clientExpiryMillis);
        }
        this.clientExpiryMillis = clientExpiryMillis;
    }

    public LamportClock clock() {
        return clock;
    }

    /** A read-only view of the data, sorted by key. */
    public SortedMap<String, Value> data() {
        return Collections.unmodifiableSortedMap(data);
    }

    /** How many operations this replica has applied, its own and others', failed ones included. */
    public long appliedCount() {
        return applied;
    }

    /** The last request applied, if any. */
    public Optional<RequestId> lastApplied() {
        return Optional.ofNullable(lastApplied);
    }

    /** The revision of {@code key}'s last change (a deletion too), or 0 if it was never written. */
    public long revisionOf(String key) {
        return revisions.getOrDefault(key, 0L);
    }

    /** The recent changes, for watches (read it on the loop only). */
    public Changes changes() {
        return changes;
    }

    /** The lock table (read it on the loop only; only applied operations change it). */
    public Locks locks() {
        return locks;
    }

    public int bufferLength() {
        return buffer.size();
    }

    /** The buffer's requests in order, head first (a copy). */
    public List<PendingRequest> bufferInOrder() {
        List<PendingRequest> copy = new ArrayList<>(buffer);
        copy.sort(Comparator.comparing(PendingRequest::id));
        return copy;
    }

    /**
     * A digest of the replicated state: the data over sorted keys, each key's revision, where the
     * history starts, and the lock table. Equal on replicas that applied the same order. The first 64 bits
     * of SHA-256, in hex. Computed again only after an operation applied (nothing else changes
     * the data), so {@code status}, {@code hash} and the dashboards' polls cost no hashing while
     * the data stands still.
     */
    public String digest() {
        if (digestApplied != applied) {
            digest = computeDigest();
            digestApplied = applied;
        }
        return digest;
    }

    private String computeDigest() {
        MessageDigest sha = sha256();
        for (Map.Entry<String, Value> e : data.entrySet()) {
            sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update((byte) (e.getValue() instanceof Value.Num ? 'n' : 't'));
            // Length-prefixed: a text value may hold NUL bytes, so a terminator alone would be ambiguous.
            byte[] value = e.getValue().render().getBytes(StandardCharsets.UTF_8);
            sha.update(java.nio.ByteBuffer.allocate(Integer.BYTES).putInt(value.length).array());
            sha.update(value);
        }
        // Revisions and locks are replicated state too: replicas that disagree on them differ.
        java.io.ByteArrayOutputStream rest = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream o = new java.io.DataOutputStream(rest)) {
            for (Map.Entry<String, Long> e : new TreeMap<>(revisions).entrySet()) {
                Codec.writeString(o, e.getKey());
                o.writeLong(e.getValue());
            }
            o.writeLong(changes.oldestKept());
            locks.writeTo(o);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        sha.update(rest.toByteArray());
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    Optional<PendingRequest> head() {
        return Optional.ofNullable(buffer.peek());
    }

    Optional<PendingRequest> pending(RequestId id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** How many requests stamped by {@code origin} wait in the buffer. */
    public int pendingFrom(int origin) {
        return pendingByOrigin.getOrDefault(origin, 0);
    }

    void enqueue(PendingRequest p) {
        if (byId.putIfAbsent(p.id(), p) != null) {
            throw new IllegalStateException("request " + p.id() + " is in the buffer already");
        }
        buffer.add(p);
        pendingByOrigin.merge(p.id().origin(), 1, Integer::sum);
    }

    /** How many clients the client table remembers. */
    public int clientCount() {
        return clients.size();
    }

    /** How many client records were forgotten as idle since this state machine was built (statistics only). */
    public long expiredClients() {
        return expiredClients;
    }

    /** The time of the order so far (see {@link #orderMillis}); 0 before the first tracked request. */
    public long orderMillis() {
        return orderMillis;
    }

    public long clientExpiryMillis() {
        return clientExpiryMillis;
    }

    /**
     * Checks that the buffer's three indexes agree: the queue, the map by id, the count per origin.
     * A disagreement is a bug; the caller must stop (fail-stop) rather than carry on.
     *
     * @throws IllegalStateException naming what disagrees
     */
    public void checkIndexes() {
        if (byId.size() != buffer.size()) {
            throw new IllegalStateException("buffer holds " + buffer.size() + " requests but the index by id "
                    + byId.size());
        }
        int counted = 0;
        for (int n : pendingByOrigin.values()) {
            counted += n;
        }
        if (counted != buffer.size()) {
            throw new IllegalStateException("buffer holds " + buffer.size() + " requests but the counts per origin "
                    + pendingByOrigin + " add up to " + counted);
        }
        for (PendingRequest p : buffer) {
            if (byId.get(p.id()) != p) {
                throw new IllegalStateException("request " + p.id() + " is in the buffer but not in the index by id");
            }
        }
    }

    /**
     * Removes the head and applies it to the data, once: a write whose client and sequence number
     * were applied before returns the first result and changes nothing.
     */
    Result applyHead() {
        PendingRequest head = buffer.poll();
        if (head == null) {
            throw new IllegalStateException("buffer is empty");
        }
        if (byId.remove(head.id()) != head) {
            throw new IllegalStateException("the buffer's head " + head.id() + " is not in its index by id");
        }
        pendingByOrigin.computeIfPresent(head.id().origin(), (origin, n) -> n == 1 ? null : n - 1);
        lastApplied = head.id();
        applied++;
        Request r = head.request();
        ClientTag tag = r.client();
        // Every operation that carries a time moves the order's time, and leases end before it applies.
        advanceOrderTime(tag.wallMillis());
        locks.expire(orderMillis);
        if (!tag.tracked()) {
            return applyOperation(r.op());
        }
        ClientRecord last = clients.get(tag.clientId());
        Result result;
        if (last != null && tag.seq() == last.seq()) {
            result = last.result();                       // a retry: the first answer, no second effect
        } else if (last != null && tag.seq() < last.seq()) {
            result = Result.error("stale retry: client " + Long.toHexString(tag.clientId())
                    + " has since sent operation " + last.seq());
        } else {
            result = applyOperation(r.op());
            if (!r.op().readOnly()) {
                clients.remove(tag.clientId());           // re-insert: the table stays in write order
                // Idle time counts from the order's time at this write, never from the origin's own clock.
                clients.put(tag.clientId(), new ClientRecord(tag.seq(), result, orderMillis));
            }
        }
        expireIdleClients();
        return result;
    }

    /**
     * Applies {@code op} at revision {@link #applied}. A change to a key (a new value, or a
     * deletion) records the revision for the key and in the history.
     */
    private Result applyOperation(Operation op) {
        Optional<String> key = op instanceof Operation.OnData ? op.key() : Optional.empty();
        if (key.isEmpty()) {
            return op.apply(store);
        }
        Value before = data.get(key.get());
        Result result = op.apply(store);
        Value after = data.get(key.get());
        if (after != before) {                            // the same object: nothing was stored
            revisions.put(key.get(), applied);
            changes.add(new Changes.Change(applied, key.get(), Optional.ofNullable(after)));
        }
        return result;
    }

    /**
     * The order's time moves to {@code stamped} if that is later. Records written while the time
     * was still unknown (the first requests after the cluster started carry none) start counting
     * from the first time known: counting them from 0 would expire them at once.
     */
    private void advanceOrderTime(long stamped) {
        if (stamped <= orderMillis) {
            return;
        }
        if (orderMillis == ClusterTime.UNKNOWN) {
            clients.replaceAll((id, r) -> r.orderMillis() == ClusterTime.UNKNOWN
                    ? new ClientRecord(r.seq(), r.result(), stamped) : r);
        }
        orderMillis = stamped;
    }

    private void expireIdleClients() {
        Iterator<ClientRecord> eldest = clients.values().iterator();
        while (eldest.hasNext()) {
            if (orderMillis - eldest.next().orderMillis() <= clientExpiryMillis) {
                return;
            }
            eldest.remove();
            expiredClients++;
        }
    }

    // ---- snapshots (ReplicaCore) ----------------------------------------------------------------

    /** Drops the pending requests that {@code drop} says (a broken flush, in tests). */
    void removeIf(java.util.function.Predicate<PendingRequest> drop) {
        for (PendingRequest p : bufferInOrder()) {
            if (drop.test(p)) {
                buffer.remove(p);
                byId.remove(p.id());
                pendingByOrigin.computeIfPresent(p.id().origin(), (origin, k) -> k == 1 ? null : k - 1);
            }
        }
    }

    /** Empties the buffer: this replica left its view, whose pending requests are no longer its to order. */
    void clearBuffer() {
        buffer.clear();
        byId.clear();
        pendingByOrigin.clear();
    }

    void writeTo(DataOutput o) throws IOException {
        writeTo(o, true);
    }

    /**
     * The state; without the buffer ({@code withBuffer} false) it is what a joiner receives: the
     * data, the client table, the applied position and the clock.
     */
    void writeTo(DataOutput o, boolean withBuffer) throws IOException {
        o.writeLong(clock.time());
        o.writeLong(applied);
        o.writeBoolean(lastApplied != null);
        if (lastApplied != null) {
            Codec.writeId(o, lastApplied);
        }
        o.writeInt(data.size());
        for (Map.Entry<String, Value> e : data.entrySet()) {
            Codec.writeString(o, e.getKey());
            o.writeBoolean(e.getValue() instanceof Value.Num);
            Codec.writeString(o, e.getValue().render());
        }
        List<PendingRequest> pending = withBuffer ? bufferInOrder() : List.of();
        o.writeInt(pending.size());
        for (PendingRequest p : pending) {
            Codec.writeId(o, p.id());
            Codec.writeOperation(o, p.request().op());
            Codec.writeClient(o, p.request().client());
            o.writeInt(p.oksFrom().size());
            for (int from : p.oksFrom()) {
                o.writeInt(from);
            }
            o.writeBoolean(p.released());
            if (p.released()) {
                Result r = p.originResult().orElseThrow();
                o.writeBoolean(r.ok());
                Codec.writeString(o, r.text());
            }
        }
        o.writeLong(orderMillis);
        o.writeInt(clients.size());
        for (Map.Entry<Long, ClientRecord> e : clients.entrySet()) {
            o.writeLong(e.getKey());
            o.writeLong(e.getValue().seq());
            o.writeBoolean(e.getValue().result().ok());
            Codec.writeString(o, e.getValue().result().text());
            o.writeLong(e.getValue().orderMillis());
        }
        o.writeInt(revisions.size());
        for (Map.Entry<String, Long> e : new TreeMap<>(revisions).entrySet()) {
            Codec.writeString(o, e.getKey());
            o.writeLong(e.getValue());
        }
        changes.writeTo(o);
        locks.writeTo(o);
    }

    /** The version of what {@link #writeTo} writes: 4 added revisions, the history and the locks. */
    static final int STATE_VERSION = 4;

    void readFrom(DataInput in) throws IOException {
        readFrom(in, STATE_VERSION);
    }

    /**
     * Replaces this (fresh) state machine's contents with what {@link #writeTo} wrote; {@code version}
     * 1 and 2 are the snapshots' from before views (no last applied request), 3 from before
     * revisions (a history that starts after the applied position, no locks).
     */
    void readFrom(DataInput in, int version) throws IOException {
        clock.restore(in.readLong());
        applied = in.readLong();
        lastApplied = version >= 3 && in.readBoolean() ? Codec.readId(in) : null;
        digestApplied = -1;
        int keys = in.readInt();
        for (int i = 0; i < keys; i++) {
            String key = Codec.readString(in);
            boolean number = in.readBoolean();
            String raw = Codec.readString(in);
            data.put(key, number ? new Value.Num(new java.math.BigDecimal(raw)) : new Value.Text(raw));
        }
        int pending = in.readInt();
        for (int i = 0; i < pending; i++) {
            RequestId id = Codec.readId(in);
            Operation op = Codec.readOperation(in);
            ClientTag client = Codec.readClient(in);
            PendingRequest p = new PendingRequest(new Request(id, op, client), -1);
            int oks = in.readInt();
            for (int k = 0; k < oks; k++) {
                p.recordOk(in.readInt());
            }
            if (in.readBoolean()) {
                boolean ok = in.readBoolean();
                p.release(new Result(ok, Codec.readString(in)));
            }
            enqueue(p);
        }
        orderMillis = in.readLong();
        int clientCount = in.readInt();
        for (int i = 0; i < clientCount; i++) {
            long id = in.readLong();
            long seq = in.readLong();
            boolean ok = in.readBoolean();
            Result result = new Result(ok, Codec.readString(in));
            clients.put(id, new ClientRecord(seq, result, in.readLong()));
        }
        if (version < 4) {
            changes.clear(applied + 1);
            return;
        }
        int revised = in.readInt();
        for (int i = 0; i < revised; i++) {
            String key = Codec.readString(in);
            revisions.put(key, in.readLong());
        }
        changes.readFrom(in);
        locks.readFrom(in);
    }

    /**
     * Takes the state a member sent (what {@link #writeTo} wrote without the buffer) in place of
     * this one's; the clock moves past the sender's.
     */
    void replaceWith(DataInput in) throws IOException {
        StateMachine received = new StateMachine(clientExpiryMillis);
        received.readFrom(in, STATE_VERSION);
        if (received.bufferLength() != 0) {
            throw new IllegalStateException("a transferred state holds " + received.bufferLength() + " pending requests");
        }
        data.clear();
        data.putAll(received.data);
        clients.clear();
        clients.putAll(received.clients);
        clearBuffer();
        applied = received.applied;
        lastApplied = received.lastApplied;
        orderMillis = received.orderMillis;
        revisions.clear();
        revisions.putAll(received.revisions);
        changes.replaceWith(received.changes);
        locks.replaceWith(received.locks);
        digestApplied = -1;
        clock.onReceive(received.clock.time());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
