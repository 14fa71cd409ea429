package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import lamportkv.core.Codec;
import lamportkv.core.PeerMessage;
import lamportkv.core.ReplicaCore;

/**
 * Reliable links over the cores' per-link sequence numbers, between replicas {@code 1..n}.
 *
 * <p>Each link {@code i→j} has an <em>outbox</em> at the sender: the numbered messages {@code i}
 * has released (committed) and not yet seen confirmed, each deliverable after a random delay. The
 * real sender keeps re-sending everything after what the receiver holds, so a delivery hands
 * {@code j} the message numbered {@code j.heldFrom(i) + 1}; FIFO per link comes from the numbers,
 * not from the network. A message may also arrive early (above {@code held + 1}: the receiver
 * must drop it as a gap) or again (at or below {@code held}: a duplicate). When the sender crashes,
 * what it had released is still on the wire and may land while it is down; nothing new joins until
 * it restarts and replaces its outbox with {@link ReplicaCore#unconfirmed}, its durable list of
 * what to re-send.
 *
 * <p>Acks: after each delivery and heartbeat the receiver's node says how far it holds the link
 * <em>durably</em>; that number reaches the sender after a random delay (and is lost if the sender
 * is down then), and the sender forgets the messages up to it. The node, not this class, decides
 * what is durable: a broken node that reports too much makes the sender forget messages the
 * receiver can still lose.
 *
 * <p>Also kept, for the checks: what each released number carried (a number must name one message
 * forever, across restarts on both sides), the highest number released on each link, and the
 * highest number each receiver ever reported holding.
 */
final class ReliableLinks {

    /** A released message, deliverable from step {@code deliverableAt}. */
    record Queued(long seq, PeerMessage message, long deliverableAt) {
    }

    /** {@code receiver} told {@code sender} it holds every message of their link up to {@code held}. */
    record Confirmation(int sender, int receiver, long held, long dueAt) {
    }

    private final int size;
    /** Per link, indexed by {@link #link}: the sender's outbox by number. */
    private final List<TreeMap<Long, Queued>> outboxes = new ArrayList<>();
    /** Per link: number → the encoding of the message first released under it. */
    private final List<Map<Long, byte[]>> numbered = new ArrayList<>();
    private final long[] maxReleased;
    private final long[] maxReported;
    /** At most one pending report per link: a newer one raises its number, keeps its due time. */
    private final TreeMap<Integer, Confirmation> reports = new TreeMap<>();

    ReliableLinks(int size) {
        this.size = size;
        for (int i = 0; i < size * size; i++) {
            outboxes.add(new TreeMap<>());
            numbered.add(new HashMap<>());
        }
        this.maxReleased = new long[size * size];
        this.maxReported = new long[size * size];
    }

    private int link(int from, int to) {
        return (from - 1) * size + (to - 1);
    }

    // ---- the sender's side ----------------------------------------------------------------------

    /**
     * A committed message joins the sender's outbox. Returns a problem if its number was released
     * before with a different message (the sender forgot what it had sent).
     */
    Optional<String> release(int from, int to, long seq, PeerMessage message, long deliverableAt) {
        outboxes.get(link(from, to)).put(seq, new Queued(seq, message, deliverableAt));
        return remember(from, to, seq, message);
    }

    /**
     * The sender restarted: what it had released before is replaced by what its first round sends
     * again (its backlog, checked by {@link #release} like any message).
     */
    void clearOutbox(int from, int to) {
        outboxes.get(link(from, to)).clear();
    }

    private Optional<String> remember(int from, int to, long seq, PeerMessage message) {
        byte[] encoded = Codec.encode(List.of(message));
        int l = link(from, to);
        maxReleased[l] = Math.max(maxReleased[l], seq);
        byte[] before = numbered.get(l).putIfAbsent(seq, encoded);
        if (before != null && !Arrays.equals(before, encoded)) {
            return Optional.of("link " + from + "→" + to + ": number " + seq + " released again for a different message: "
                    + Codec.decode(before) + " then " + message + " (the sender forgot what it had sent)");
        }
        return Optional.empty();
    }

    /** The message numbered {@code seq} in the sender's outbox, if there. */
    Optional<Queued> queued(int from, int to, long seq) {
        return Optional.ofNullable(outboxes.get(link(from, to)).get(seq));
    }

    /** The oldest message in the sender's outbox, if any. */
    Optional<Queued> oldest(int from, int to) {
        var first = outboxes.get(link(from, to)).firstEntry();
        return first == null ? Optional.empty() : Optional.of(first.getValue());
    }

    /** The lowest-numbered message above {@code seq} in the sender's outbox, if any. */
    Optional<Queued> above(int from, int to, long seq) {
        var e = outboxes.get(link(from, to)).higherEntry(seq);
        return e == null ? Optional.empty() : Optional.of(e.getValue());
    }

    /** Whether the sender still has a message numbered above {@code held} (delivered or not yet due). */
    boolean hasAbove(int from, int to, long held) {
        return outboxes.get(link(from, to)).higherKey(held) != null;
    }

    long maxReleased(int from, int to) {
        return maxReleased[link(from, to)];
    }

    // ---- confirmations --------------------------------------------------------------------------

    /** {@code receiver} holds the link from {@code sender} durably up to {@code held}: tell the sender later. */
    void report(int sender, int receiver, long held, long dueAt) {
        int l = link(sender, receiver);
        maxReported[l] = Math.max(maxReported[l], held);
        reports.merge(l, new Confirmation(sender, receiver, held, dueAt),
                (old, now) -> new Confirmation(sender, receiver, Math.max(old.held(), now.held()), old.dueAt()));
    }

    /** The highest number {@code receiver} ever reported holding durably from {@code sender}. */
    long maxReported(int sender, int receiver) {
        return maxReported[link(sender, receiver)];
    }

    List<Confirmation> due(long now) {
        List<Confirmation> due = new ArrayList<>();
        for (Confirmation c : reports.values()) {
            if (c.dueAt() <= now) {
                due.add(c);
            }
        }
        return due;
    }

    /** Takes a due report off the network; the caller hands it to the sender if it is up. */
    void take(Confirmation c) {
        reports.remove(link(c.sender(), c.receiver()));
    }

    /** The sender learned the receiver holds up to {@code held}: stop re-sending those. */
    void prune(int from, int to, long held) {
        outboxes.get(link(from, to)).headMap(held, true).clear();
    }
}
