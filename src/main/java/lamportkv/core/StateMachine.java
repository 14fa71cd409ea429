package lamportkv.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
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
 * of the state it is only ever touched by the replica's event-loop thread.
 */
public final class StateMachine {
    private final SortedMap<String, Value> data = new TreeMap<>();
    private final PriorityBlockingQueue<PendingRequest> buffer =
            new PriorityBlockingQueue<>(64, Comparator.comparing(PendingRequest::id));
    private final Map<RequestId, PendingRequest> byId = new HashMap<>();
    private final LamportClock clock = new LamportClock();
    private long applied;

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
     * A digest of the data over sorted keys: equal on replicas with equal data. The first 64 bits
     * of SHA-256, in hex.
     */
    public String digest() {
        MessageDigest sha = sha256();
        for (Map.Entry<String, Value> e : data.entrySet()) {
            sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update((byte) (e.getValue() instanceof Value.Num ? 'n' : 't'));
            sha.update(e.getValue().render().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    Optional<PendingRequest> head() {
        return Optional.ofNullable(buffer.peek());
    }

    Optional<PendingRequest> pending(RequestId id) {
        return Optional.ofNullable(byId.get(id));
    }

    void enqueue(PendingRequest p) {
        byId.put(p.id(), p);
        buffer.add(p);
    }

    /** Removes the head and applies its operation to the data. */
    Result applyHead() {
        PendingRequest head = buffer.poll();
        if (head == null) {
            throw new IllegalStateException("buffer is empty");
        }
        byId.remove(head.id());
        applied++;
        return head.request().op().apply(data);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
