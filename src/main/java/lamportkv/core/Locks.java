package lamportkv.core;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The lock table: who holds each named lock and who waits for it, in the total order. Ricart and
 * Agrawala's algorithm exists to give mutual exclusion; here it is a replicated state machine of
 * its own, so every replica grants the same lock to the same request at the same position.
 *
 * <p>The rules:
 * <ul>
 *   <li><b>First requested, first granted.</b> A {@code lock} that finds the lock free and nobody
 *       waiting holds it at once; otherwise it joins the end of the queue. The queue moves only at
 *       an {@code unlock}, an expiry, or a waiter leaving.</li>
 *   <li><b>Fencing tokens.</b> A request's token is its revision (its position in the order), so a
 *       grant's token is larger than every earlier grant's of the same lock: grants follow the
 *       queue, and the queue is in revision order.</li>
 *   <li><b>Leases in the order's time.</b> A holder's lease ends {@code ttl} after its grant or its
 *       last {@code renew}, measured in the order's time ({@link StateMachine#orderMillis()}, from
 *       the origins' cluster-time estimates carried in operations; it only moves forward). A waiter
 *       must renew too: one that has not renewed within its ttl (a dead client) leaves the queue,
 *       and so does one whose wait ran out. Since the order's time moves only when an operation is
 *       applied, the view's lowest member writes an {@link Operation.Expire} when a deadline has
 *       passed and nothing else was written ({@link Node#expiryTimer}).</li>
 * </ul>
 * Pure and deterministic: no clock of its own; the caller gives the order's time.
 */
public final class Locks {
    /** The most waiters and holders the whole table may have: a bound on replicated state. */
    public static final int MAX_ENTRIES = 100_000;

    /** A claim on a lock: the holder's or a waiter's. */
    public record Claim(long token, long ttlMillis, long renewBy, long waitUntil) {
        Claim renewed(long now) {
            return new Claim(token, ttlMillis, now + ttlMillis, waitUntil);
        }
    }

    /** One lock: its holder (if any) and its queue, first in line first. */
    private static final class Entry {
        Claim holder;
        final List<Claim> queue = new ArrayList<>();
    }

    /** Where a token stands with its lock, as the long-poll reports it. */
    public enum Standing { HOLDS, WAITS, NONE }

    /** A lock as status reports it: its holder's token and lease end, and how many wait. */
    public record Held(String name, long token, long expiresAtMillis, int waiting) {
    }

    private final Map<String, Entry> locks = new TreeMap<>();
    private int entries;
    /** The earliest lease end or wait end in the table; {@code Long.MAX_VALUE} with none. */
    private long nextDeadline = Long.MAX_VALUE;

    /**
     * {@code lock NAME}: holds it now, or waits in line.
     *
     * @return the result: {@code granted TOKEN}, {@code queued TOKEN}, or an error if the table is full
     */
    Result acquire(String name, long token, long ttlMillis, long waitMillis, long now) {
        if (entries >= MAX_ENTRIES) {
            return Result.error("too many locks and waiters (" + MAX_ENTRIES + "); unlock some first");
        }
        Entry e = locks.computeIfAbsent(name, n -> new Entry());
        Claim claim = new Claim(token, ttlMillis, now + ttlMillis, now + waitMillis);
        entries++;
        if (e.holder == null && e.queue.isEmpty()) {
            e.holder = claim;
            deadline(claim.renewBy());
            return Result.ok("granted " + token);
        }
        e.queue.add(claim);
        deadline(Math.min(claim.renewBy(), claim.waitUntil()));
        return Result.ok("queued " + token);
    }

    /** {@code renew NAME TOKEN}: the holder's lease, or a waiter's place, lasts another ttl. */
    Result renew(String name, long token, long now) {
        Entry e = locks.get(name);
        if (e == null) {
            return Result.ok("0");
        }
        if (e.holder != null && e.holder.token() == token) {
            e.holder = e.holder.renewed(now);
            return Result.ok("1");
        }
        for (int i = 0; i < e.queue.size(); i++) {
            if (e.queue.get(i).token() == token) {
                e.queue.set(i, e.queue.get(i).renewed(now));
                return Result.ok("1");
            }
        }
        return Result.ok("0");
    }

    /** {@code unlock NAME TOKEN}: the holder lets go (the next in line holds it), or a waiter leaves. */
    Result release(String name, long token, long now) {
        Entry e = locks.get(name);
        if (e == null) {
            return Result.ok("0");
        }
        if (e.holder != null && e.holder.token() == token) {
            long was = e.holder.renewBy();
            e.holder = null;
            entries--;
            promote(name, e, now);
            released(was);
            return Result.ok("1");
        }
        for (Claim c : e.queue) {
            if (c.token() == token) {
                e.queue.remove(c);
                entries--;
                dropIfEmpty(name, e);
                released(Math.min(c.renewBy(), c.waitUntil()));
                return Result.ok("1");
            }
        }
        return Result.ok("0");
    }

    /**
     * A claim with deadline {@code at} was released: if it had the earliest deadline, find the
     * next, so that the expiry timer writes no {@link Operation.Expire} for a lease that is gone.
     */
    private void released(long at) {
        if (at > nextDeadline) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (Entry e : locks.values()) {
            next = Math.min(next, earliest(e));
        }
        nextDeadline = next;
    }

    /**
     * The order's time is {@code now}: leases that ended let go, waiters that stopped renewing or
     * whose wait ran out leave, and the next in line holds. Cheap when no deadline has passed.
     */
    void expire(long now) {
        if (now <= nextDeadline) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (Iterator<Map.Entry<String, Entry>> it = locks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Entry> m = it.next();
            Entry e = m.getValue();
            int before = e.queue.size();
            e.queue.removeIf(c -> now > c.renewBy() || now > c.waitUntil());
            entries -= before - e.queue.size();
            if (e.holder != null && now > e.holder.renewBy()) {
                e.holder = null;
                entries--;
            }
            if (e.holder == null && !e.queue.isEmpty()) {
                e.holder = grant(e.queue.remove(0), now);
            }
            if (e.holder == null) {
                it.remove();
                continue;
            }
            next = Math.min(next, earliest(e));
        }
        nextDeadline = next;
    }

    /** The earliest time at which {@link #expire} would change something; {@code Long.MAX_VALUE} if never. */
    public long nextDeadline() {
        return nextDeadline;
    }

    /** Where {@code token} stands with lock {@code name}. */
    public Standing standing(String name, long token) {
        Entry e = locks.get(name);
        if (e == null) {
            return Standing.NONE;
        }
        if (e.holder != null && e.holder.token() == token) {
            return Standing.HOLDS;
        }
        return e.queue.stream().anyMatch(c -> c.token() == token) ? Standing.WAITS : Standing.NONE;
    }

    /** The holder of {@code name}, if it is held. */
    public Optional<Claim> holder(String name) {
        Entry e = locks.get(name);
        return e == null ? Optional.empty() : Optional.ofNullable(e.holder);
    }

    /** Every held lock, by name. */
    public List<Held> held() {
        return held(Integer.MAX_VALUE);
    }

    /** The first {@code max} held locks, by name: a glance that costs no more than {@code max}. */
    public List<Held> held(int max) {
        List<Held> held = new ArrayList<>();
        for (Map.Entry<String, Entry> m : locks.entrySet()) {
            if (held.size() == max) {
                break;
            }
            Entry e = m.getValue();
            held.add(new Held(m.getKey(), e.holder.token(), e.holder.renewBy(), e.queue.size()));
        }
        return held;
    }

    /** How many locks are held. */
    public int heldCount() {
        return locks.size();
    }

    /** How many holders and waiters the table has. */
    public int size() {
        return entries;
    }

    private void promote(String name, Entry e, long now) {
        if (!e.queue.isEmpty()) {
            e.holder = grant(e.queue.remove(0), now);
            deadline(e.holder.renewBy());
        }
        dropIfEmpty(name, e);
    }

    /** The next in line holds from {@code now}: its lease starts at the grant, not at its request. */
    private static Claim grant(Claim waiter, long now) {
        return waiter.renewed(now);
    }

    private void dropIfEmpty(String name, Entry e) {
        if (e.holder == null && e.queue.isEmpty()) {
            locks.remove(name);
        }
    }

    private void deadline(long at) {
        nextDeadline = Math.min(nextDeadline, at);
    }

    private static long earliest(Entry e) {
        long at = e.holder.renewBy();
        for (Claim c : e.queue) {
            at = Math.min(at, Math.min(c.renewBy(), c.waitUntil()));
        }
        return at;
    }

    // ---- state (snapshots, state transfer, digest) ---------------------------------------------

    void writeTo(DataOutput o) throws IOException {
        o.writeInt(locks.size());
        for (Map.Entry<String, Entry> m : locks.entrySet()) {
            Codec.writeString(o, m.getKey());
            Entry e = m.getValue();
            o.writeBoolean(e.holder != null);
            if (e.holder != null) {
                writeClaim(o, e.holder);
            }
            o.writeInt(e.queue.size());
            for (Claim c : e.queue) {
                writeClaim(o, c);
            }
        }
    }

    void readFrom(DataInput in) throws IOException {
        locks.clear();
        entries = 0;
        nextDeadline = Long.MAX_VALUE;
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            String name = Codec.readString(in);
            Entry e = new Entry();
            if (in.readBoolean()) {
                e.holder = readClaim(in);
                entries++;
            }
            int waiting = in.readInt();
            for (int k = 0; k < waiting; k++) {
                e.queue.add(readClaim(in));
                entries++;
            }
            if (e.holder == null && !e.queue.isEmpty()) {
                throw new IllegalStateException("lock " + name + " has waiters but no holder");
            }
            if (e.holder != null) {
                locks.put(name, e);
                deadline(earliest(e));
            }
        }
    }

    void replaceWith(Locks other) {
        locks.clear();
        other.locks.forEach((name, e) -> {
            Entry copy = new Entry();
            copy.holder = e.holder;
            copy.queue.addAll(e.queue);
            locks.put(name, copy);
        });
        entries = other.entries;
        nextDeadline = other.nextDeadline;
    }

    private static void writeClaim(DataOutput o, Claim c) throws IOException {
        o.writeLong(c.token());
        o.writeLong(c.ttlMillis());
        o.writeLong(c.renewBy());
        o.writeLong(c.waitUntil());
    }

    private static Claim readClaim(DataInput in) throws IOException {
        return new Claim(in.readLong(), in.readLong(), in.readLong(), in.readLong());
    }
}
