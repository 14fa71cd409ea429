package lamportkv.core;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * The recent history of changes to the data, in revision order: what watches read. Bounded: the
 * last {@value #MAX_CHANGES} changes, and at most {@value #MAX_BYTES} bytes of their keys and
 * values; older ones are dropped, and {@link #oldestKept()} says from which revision on every
 * change is still here. The bound depends only on the order, so every replica that applied the
 * same operations keeps the same history; snapshots and state transfer carry it.
 */
public final class Changes {
    /** The most changes kept. */
    public static final int MAX_CHANGES = 10_000;
    /** The most bytes of keys and values kept. */
    public static final long MAX_BYTES = 8L << 20;

    /** The most bytes of keys and values one page carries (at least one change, however large). */
    public static final long MAX_PAGE_BYTES = 4L << 20;

    /** One change: at {@code revision}, {@code key} took {@code value}, or was deleted (empty). */
    public record Change(long revision, String key, Optional<Value> value) {
        long bytes() {
            return key.getBytes(StandardCharsets.UTF_8).length
                    + value.map(v -> (long) v.render().getBytes(StandardCharsets.UTF_8).length).orElse(0L);
        }
    }

    /** What a watch gets: the changes it asked for, and the revision to ask from next. */
    public record Page(List<Change> changes, long next) {
    }

    /**
     * A watch's pattern: a key, or a prefix ending in {@code *} ({@code *} alone: every key).
     *
     * @throws OperationException naming a bad pattern
     */
    public static java.util.function.Predicate<String> pattern(String pattern) {
        if (pattern.endsWith("*")) {
            String prefix = pattern.substring(0, pattern.length() - 1);
            if (!prefix.isEmpty()) {
                Operation.checkKey(prefix);
            }
            return key -> key.startsWith(prefix);
        }
        Operation.checkKey(pattern);
        return pattern::equals;
    }

    private final Deque<Change> kept = new ArrayDeque<>();
    private long bytes;
    /** Every change at or after this revision is in {@link #kept}. */
    private long oldestKept = 1;

    void add(Change change) {
        if (!kept.isEmpty() && change.revision() <= kept.getLast().revision()) {
            throw new IllegalStateException("change at revision " + change.revision() + " after one at "
                    + kept.getLast().revision());
        }
        kept.addLast(change);
        bytes += change.bytes();
        while (kept.size() > MAX_CHANGES || bytes > MAX_BYTES) {
            Change dropped = kept.removeFirst();
            bytes -= dropped.bytes();
            oldestKept = dropped.revision() + 1;
        }
    }

    /** The oldest revision from which on every change is kept. */
    public long oldestKept() {
        return oldestKept;
    }

    /**
     * Up to {@code max} changes (and about {@link #MAX_PAGE_BYTES}) at revision {@code from} or later whose key {@code matches}, and
     * the revision to ask from next: after the last change returned, or, if the page is not full,
     * after {@code applied} (everything up to there was looked at).
     *
     * @throws IllegalArgumentException if {@code from} is older than {@link #oldestKept()}
     */
    public Page read(long from, java.util.function.Predicate<String> matches, int max, long applied) {
        if (from < oldestKept) {
            throw new IllegalArgumentException("revision " + from + " is no longer kept: the oldest kept is "
                    + oldestKept);
        }
        List<Change> page = new ArrayList<>();
        Iterator<Change> newestFirst = kept.descendingIterator();
        // Most watches ask for the last few changes: find the start from the newest end.
        Deque<Change> tail = new ArrayDeque<>();
        while (newestFirst.hasNext()) {
            Change c = newestFirst.next();
            if (c.revision() < from) {
                break;
            }
            tail.addFirst(c);
        }
        long pageBytes = 0;
        for (Change c : tail) {
            if (matches.test(c.key())) {
                page.add(c);
                pageBytes += c.bytes();
                if (page.size() == max || pageBytes >= MAX_PAGE_BYTES) {
                    return new Page(page, c.revision() + 1);
                }
            }
        }
        return new Page(page, Math.max(from, applied + 1));
    }

    /** How many changes are kept. */
    public int size() {
        return kept.size();
    }

    void clear(long oldestKept) {
        kept.clear();
        bytes = 0;
        this.oldestKept = oldestKept;
    }

    void writeTo(DataOutput o) throws IOException {
        o.writeLong(oldestKept);
        o.writeInt(kept.size());
        for (Change c : kept) {
            o.writeLong(c.revision());
            Codec.writeString(o, c.key());
            Codec.writeValue(o, c.value());
        }
    }

    void readFrom(DataInput in) throws IOException {
        clear(in.readLong());
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            long revision = in.readLong();
            String key = Codec.readString(in);
            Change c = new Change(revision, key, Codec.readValue(in, true));
            kept.addLast(c);
            bytes += c.bytes();
        }
    }

    void replaceWith(Changes other) {
        kept.clear();
        kept.addAll(other.kept);
        bytes = other.bytes;
        oldestKept = other.oldestKept;
    }
}
