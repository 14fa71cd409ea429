package lamportkv.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import lamportkv.storage.RecordFormat.Format;
import org.tinylog.Logger;
import org.tinylog.TaggedLogger;

/**
 * A segmented write-ahead log of opaque records in one directory.
 *
 * <p>Records get consecutive indexes 1, 2, 3, ... for the life of the log, across segments and
 * restarts. Appends are buffered; {@link #force()} makes all of them durable with one
 * {@link FileChannel#force} (group commit). {@link #forcedIndex()} says how far the log knows its
 * records are durable; right after {@link #open} that can be less than {@link #lastIndex()}.
 * Segment files are named {@code wal-<first index, 20 digits>.log}, so the directory listing in
 * name order is index order, and a segment's name says where it starts even when it holds no
 * record yet. The layout of their bytes is in {@link RecordFormat}. A log opened with zeros
 * ahead ({@link #open(Path, long, long)}) may end its last segment in zeros after the records;
 * every earlier segment ends with its last record.
 *
 * <p>After any write or force failure the log refuses further appends and forces: after a failed
 * force the OS may have dropped the dirty pages, so nothing written since the last good force can be
 * trusted, and the owner must stop rather than acknowledge work it cannot keep.
 *
 * <p>Not thread-safe: one owner thread. The directory is locked while the log is open.
 */
public final class WriteAheadLog implements AutoCloseable {
    /**
     * How far ahead of its records a replica's log writes zeros ({@link #open(Path, long, long)}):
     * one extra write of this size per this many bytes of records, taken by the next force.
     * {@code -Dlamportkv.prepareLog=false}: none (the file grows with every force).
     */
    public static final long PREPARE_BYTES = "false".equals(System.getProperty("lamportkv.prepareLog")) ? 0 : 1 << 20;

    /** The largest payload append accepts; on read, a larger length is damage. */
    public static final int MAX_RECORD_BYTES = RecordFormat.MAX_PAYLOAD_BYTES;

    static final String LOCK_FILE = "wal.lock";
    private static final int WRITE_BUFFER_BYTES = 64 << 10;
    /** What {@link #prepareFor} writes from (read-only: every log shares it). */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10).asReadOnlyBuffer();
    private static final TaggedLogger log = Logger.tag("storage");

    /** Receives replayed records in index order. */
    @FunctionalInterface
    public interface RecordConsumer {
        void accept(long index, byte[] payload);
    }

    private final Path dir;
    private final long segmentBytes;
    /** How far ahead of its records a segment is zero-filled ({@link #open(Path, long, long)}); 0: not. */
    private final long prepareBytes;
    /** The current segment's size as this log made it: records, and the zeros written ahead of them. */
    private long preparedEnd;
    /** Writing zeros ahead failed once (a full disk, say): the log goes on without. */
    private boolean prepareFailed;
    /** Fixed bugs put back by tests ({@link #putBack}); empty in every log a replica opens. */
    private final Set<Flaw> flaws = EnumSet.noneOf(Flaw.class);
    private final ChannelOpener opener;
    private final DirectoryLock lock;
    /** Complete segments before the current one, oldest first. Each was forced before the next was created. */
    private final List<Recovery.Segment> sealed;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);
    private Path currentPath;
    private long currentFirstIndex;
    private FileChannel channel;
    /** Bytes of the current segment handed to the OS (not counting the buffer). */
    private long writtenBytes;
    private long lastIndex;
    /**
     * The highest index known durable: covered by a completed force (or a roll, or the force that
     * made a cut durable). Everything after it is at most in the OS page cache, and {@link #force()}
     * forces exactly when there is such a record, whether it was appended by this process or only
     * replayed from a file a crashed process left behind.
     */
    private long forcedIndex;
    /** Why the log stopped accepting records, or null while it is healthy. */
    private String failure;
    private boolean closed;

    /**
     * Bugs of writing zeros ahead that were made once and fixed, kept as switches so that tests
     * can put each back and show that the log's randomized models catch it (as
     * {@link lamportkv.core.Flaw} does for the protocol).
     */
    enum Flaw {
        /** A roll seals the segment with the zeros after its records: a sealed segment that does not end with its last record. */
        ROLL_KEEPS_ZEROS,
        /** Zeros are written from one byte before the end of what the segment holds: over its header's or its last record's last byte. */
        ZEROS_OVER_LAST_RECORD
    }

    /** Tests: makes this log have {@code flaw} from now on. */
    void putBack(Flaw flaw) {
        flaws.add(flaw);
    }

    private WriteAheadLog(Path dir, long segmentBytes, long prepareBytes, ChannelOpener opener, DirectoryLock lock,
            List<Recovery.Segment> sealed, Recovery.Segment current, FileChannel channel, long lastIndex,
            long forcedIndex) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.prepareBytes = prepareBytes;
        this.preparedEnd = current.bytes();     // open cut whatever followed the records
        this.opener = opener;
        this.lock = lock;
        this.sealed = new ArrayList<>(sealed);
        this.currentPath = current.path();
        this.currentFirstIndex = current.firstIndex();
        this.channel = channel;
        this.writtenBytes = current.bytes();
        this.lastIndex = lastIndex;
        this.forcedIndex = forcedIndex;
    }

    /**
     * Opens the log in dir, creating the directory and a first segment if needed, and checks every
     * record's checksum. A bad record in the last segment that no valid record after it says was
     * forced is a never-forced tail, left by a crash or a power loss (which may leave it torn, out of
     * order or zero-filled): it is cut off, with everything after it, and one WARN line. Damage to
     * forced data (a bad record that a later record's watermark says was forced, a bad record in an
     * earlier segment, a gap in indexes between segments) throws {@link StorageException} naming file
     * and offset: starting with silently less data would make this replica disagree with the others.
     * See {@link Recovery} for the rule, and for the stricter one of format-1 segments (written by the
     * previous version: they open and replay, but new records go to a new format-2 segment).
     *
     * <p>The replayed records are not durable yet: a process killed with {@code kill -9} leaves
     * records in the OS page cache that it never forced, and this open reads them like any other.
     * Open does not force them (its owner decides when, and a torn tail's cut is the only exception);
     * {@link #forcedIndex()} says what is known durable, and the first {@link #force()} forces the
     * rest even though nothing was appended since open. Force before anything that depends on a
     * replayed record leaves the process.
     *
     * @param segmentBytes a segment is rolled before it would grow past this size; a single larger
     *     record gets a segment of its own
     */
    public static WriteAheadLog open(Path dir, long segmentBytes) {
        return open(dir, segmentBytes, 0, ChannelOpener.DEFAULT);
    }

    /**
     * As {@link #open(Path, long)}, writing zeros {@code prepareBytes} at a time ahead of the records
     * (up to the segment's size), so that most forces write records into space the file already
     * has: a force then writes the records' blocks only, not the file's size and block map too
     * ({@code lamportkv.bench.Floor} on this project's ext4 VM: a force 91 against 130 us at p50
     * alone, 167 against 203 us with three logs forcing at once; a cluster's forces at one client,
     * about half). The zeros go with the next force of records; a segment is cut back to its
     * records before the next one starts, and open cuts a zero tail as it cuts any tail no record
     * says was forced (an INFO line instead of a WARN: it is what this log leaves).
     */
    public static WriteAheadLog open(Path dir, long segmentBytes, long prepareBytes) {
        return open(dir, segmentBytes, prepareBytes, ChannelOpener.DEFAULT);
    }

    /** As {@link #open(Path, long)}, with every segment channel opened through opener (tests inject faults). */
    static WriteAheadLog open(Path dir, long segmentBytes, ChannelOpener opener) {
        return open(dir, segmentBytes, 0, opener);
    }

    /** As {@link #open(Path, long, long)}, with every segment channel opened through opener (tests inject faults). */
    static WriteAheadLog open(Path dir, long segmentBytes, long prepareBytes, ChannelOpener opener) {
        if (segmentBytes <= 0) {
            throw new IllegalArgumentException("segmentBytes must be positive, not " + segmentBytes);
        }
        if (prepareBytes < 0) {
            throw new IllegalArgumentException("prepareBytes must not be negative, not " + prepareBytes);
        }
        Directories.create(dir);
        DirectoryLock lock = DirectoryLock.acquire(dir, LOCK_FILE);
        try {
            Recovery.Result found = Recovery.scan(dir, opener);
            Tail tail = openTail(dir, found, opener);
            WriteAheadLog wal = new WriteAheadLog(dir, segmentBytes, prepareBytes, opener, lock, tail.sealed(),
                    tail.current(), tail.channel(), found.lastIndex(), tail.forcedIndex());
            log.info("opened write-ahead log {}: {} segment(s), records {}..{}, known forced up to {}", dir,
                    wal.segmentCount(), wal.firstIndex(), wal.lastIndex(), wal.forcedIndex());
            return wal;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Where appends go after open: the sealed segments, the one being written and its channel, what is forced. */
    private record Tail(List<Recovery.Segment> sealed, Recovery.Segment current, FileChannel channel,
            long forcedIndex) {}

    /**
     * Opens the last segment for appending: creates the first one in an empty log, cuts off a torn
     * tail, writes the header into a segment that has none, and seals a format-1 segment in favour of
     * a new format-2 one (a format-1 segment is never appended to: its records carry no watermark).
     */
    private static Tail openTail(Path dir, Recovery.Result found, ChannelOpener opener) {
        List<Recovery.Segment> sealed = new ArrayList<>(found.segments());
        if (sealed.isEmpty()) {
            return new Tail(sealed, newSegment(dir, 1), startSegmentAtOpen(dir, 1, opener), 0);
        }
        Recovery.Segment last = sealed.remove(sealed.size() - 1);
        Path path = last.path();
        FileChannel channel = null;
        try {
            channel = opener.open(path, StandardOpenOption.WRITE);
            long forced = found.forcedIndex();
            if (found.tornBytes() > 0) {
                cutTornTail(channel, last, found);
                forced = found.lastIndex(); // the cut's force covered every record kept
            }
            if (last.format() == Format.V1 && last.bytes() > 0) {
                // As roll does: the old segment is durable before the next one exists.
                channel.force(false);
                channel.close();
                sealed.add(last);
                long next = found.lastIndex() + 1;
                FileChannel fresh = startSegmentAtOpen(dir, next, opener);
                log.info("write-ahead log segment {} is in format 1 and stays as it is; records from index {} go to "
                        + "{} in format {}", path, next, RecordFormat.segmentName(next), RecordFormat.VERSION);
                return new Tail(sealed, newSegment(dir, next), fresh, found.lastIndex());
            }
            if (last.bytes() == 0) {
                // Created but never written, or cut to nothing: it gets its header now.
                Directories.writeFully(channel.position(0), RecordFormat.segmentHeader());
                return new Tail(sealed, newSegment(dir, last.firstIndex()), channel, forced);
            }
            channel.position(last.bytes());
            return new Tail(sealed, last, channel, forced);
        } catch (IOException e) {
            if (channel != null) {
                closeQuietly(channel);
            }
            throw StorageException.io("open for writing", path, e, "check the disk, free space and permissions");
        }
    }

    /** Truncates the last segment before its torn tail and forces, so the tail cannot reappear later. */
    private static void cutTornTail(FileChannel channel, Recovery.Segment last, Recovery.Result found)
            throws IOException {
        channel.truncate(last.bytes());
        channel.force(false); // so the tail cannot reappear under records appended later
        Recovery.Tail tail = found.tail();
        if (tail.zeros()) {
            log.info("cut {} zero byte(s) after the records of {} (space written ahead of them, or "
                    + "never-forced records whose data never landed); records up to index {} are kept", tail.bytes(),
                    last.path(), found.lastIndex());
            return;
        }
        log.warn("dropped never-forced tail of {}: {} byte(s) from offset {} ({}; {}), left by a crash or power loss "
                + "before it was forced; records up to index {} are kept",
                last.path(), tail.bytes(), last.bytes(), tail.bad().problem(), tail.after(), found.lastIndex());
    }

    /** A segment that holds only its header. */
    private static Recovery.Segment newSegment(Path dir, long firstIndex) {
        return new Recovery.Segment(dir.resolve(RecordFormat.segmentName(firstIndex)), firstIndex,
                RecordFormat.SEGMENT_HEADER_BYTES, RecordFormat.CURRENT);
    }

    /**
     * Creates the segment whose first record will be firstIndex and writes its header. Neither is
     * forced here, only the directory entry: a header that never reaches the disk is recovered like
     * any never-forced tail, and the first force of a record in the segment forces the header too.
     */
    private static FileChannel startSegment(Path dir, long firstIndex, ChannelOpener opener) throws IOException {
        Path path = dir.resolve(RecordFormat.segmentName(firstIndex));
        FileChannel channel = opener.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            Directories.writeFully(channel, RecordFormat.segmentHeader());
        } catch (IOException e) {
            closeQuietly(channel);
            throw e;
        }
        Directories.force(dir);
        return channel;
    }

    private static FileChannel startSegmentAtOpen(Path dir, long firstIndex, ChannelOpener opener) {
        try {
            return startSegment(dir, firstIndex, opener);
        } catch (IOException e) {
            throw StorageException.io("create", dir.resolve(RecordFormat.segmentName(firstIndex)), e,
                    "check the disk, free space and permissions");
        }
    }

    /**
     * Calls consumer for every record with index > afterIndex, in index order, checking checksums
     * again. Throws if records after afterIndex were deleted (the snapshot that covers them must be
     * loaded first), or if afterIndex is beyond the last record: the snapshot claims records the log
     * lost, and new appends would reuse indexes the snapshot already covers. Do not append from
     * inside the consumer.
     */
    public void replay(long afterIndex, RecordConsumer consumer) {
        Objects.requireNonNull(consumer, "consumer");
        if (afterIndex < 0) {
            throw new IllegalArgumentException("afterIndex must not be negative, not " + afterIndex);
        }
        ensureHealthy();
        long first = firstIndex();
        if (afterIndex < first - 1) {
            throw new StorageException("cannot replay " + dir + " after index " + afterIndex + ": records up to index "
                    + (first - 1) + " were deleted; load a snapshot covering index " + (first - 1) + " or later first");
        }
        if (afterIndex > lastIndex) {
            throw new StorageException("cannot replay " + dir + " after index " + afterIndex + ": the log ends at index "
                    + lastIndex + ", so records were lost or the snapshot was saved before force(); restore the "
                    + "data directory from backup or rebuild this replica");
        }
        flushForReading();
        List<Recovery.Segment> all = segments();
        for (int i = 0; i < all.size(); i++) {
            long last = i + 1 < all.size() ? all.get(i + 1).firstIndex() - 1 : lastIndex;
            if (last > afterIndex) {
                replaySegment(all.get(i), last, afterIndex, consumer);
            }
        }
    }

    private void replaySegment(Recovery.Segment segment, long last, long afterIndex, RecordConsumer consumer) {
        Path path = segment.path();
        try (FileChannel in = opener.open(path, StandardOpenOption.READ)) {
            SegmentReader reader = new SegmentReader(in, segment.format());
            for (long index = segment.firstIndex(); index <= last; index++) {
                SegmentReader.Read read = reader.next(index);
                if (!(read instanceof SegmentReader.Ok ok)) {
                    String problem = read instanceof SegmentReader.Bad bad
                            ? "at offset " + bad.offset() + ": " + bad.problem()
                            : "it ends before record " + index;
                    throw new StorageException("write-ahead log segment " + path + " changed since it was opened: "
                            + problem + "; something else writes to " + dir + " or the disk is failing: stop and "
                            + "check it");
                }
                if (index > afterIndex) {
                    consumer.accept(index, ok.payload());
                }
            }
        } catch (IOException e) {
            throw StorageException.io("read", path, e, "check the disk");
        }
    }

    /** Replay reads files, so records still in the buffer must reach the OS first (no force needed). */
    private void flushForReading() {
        try {
            flushBuffer();
        } catch (IOException e) {
            throw fail("write to", currentPath, e);
        }
    }

    /**
     * Appends a record and returns its index (lastIndex() + 1). The payload is copied, so the caller
     * may reuse the array. Not durable until {@link #force()}. May roll to a new segment, which
     * forces the old one first.
     *
     * @throws StorageException on an I/O error, after which the log is failed and refuses appends
     */
    public long append(byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        if (payload.length > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("record of " + payload.length + " bytes exceeds the limit of "
                    + MAX_RECORD_BYTES + " bytes");
        }
        ensureHealthy();
        long index = lastIndex + 1;
        try {
            long size = currentBytes();
            boolean holdsRecords = size > RecordFormat.SEGMENT_HEADER_BYTES;
            if (holdsRecords && size + RecordFormat.HEADER_BYTES + payload.length > segmentBytes) {
                roll(index);
            }
            prepareFor(currentBytes() + RecordFormat.HEADER_BYTES + payload.length);
            writeRecord(index, payload);
        } catch (IOException e) {
            throw fail("write to", currentPath, e);
        }
        lastIndex = index;
        return index;
    }

    /**
     * Makes every record in the log durable: hands the buffer to the OS and calls
     * {@link FileChannel#force} once, however many appends that covers (group commit). That includes
     * records replayed at open that were never forced ({@link #forcedIndex()} &lt; {@link #lastIndex()}),
     * even when nothing was appended since. A no-op when every record is known durable. Call it
     * before anything that depends on the records leaves the process.
     *
     * @throws StorageException on an I/O error, after which the log is failed and refuses appends
     */
    public void force() {
        ensureHealthy();
        if (forcedIndex == lastIndex) {
            return;
        }
        try {
            flushBuffer();
            channel.force(false); // data and the file size; the directory entry was forced when the file was created
        } catch (IOException e) {
            throw fail("force", currentPath, e);
        }
        forcedIndex = lastIndex;
    }

    /** The index of the newest record, 0 if the log never held one. */
    public long lastIndex() {
        return lastIndex;
    }

    /**
     * The highest index known durable. After a successful {@link #force()} it is {@link #lastIndex()};
     * right after {@link #open} it is the best lower bound the files prove (records the previous
     * process forced, at least the sealed segments), 0 if nothing is known.
     */
    public long forcedIndex() {
        return forcedIndex;
    }

    /** The index of the oldest record still kept, or lastIndex() + 1 if the log holds none. */
    public long firstIndex() {
        return sealed.isEmpty() ? currentFirstIndex : sealed.get(0).firstIndex();
    }

    /**
     * Deletes whole segments all of whose records have an index at most index, oldest first; call it
     * after a snapshot covering index is durable. Never deletes the segment being written, so the
     * log always knows its last index. A segment that still holds a newer record stays.
     */
    public void deleteUpTo(long index) {
        ensureOpen();
        while (!sealed.isEmpty()) {
            long lastOfOldest = (sealed.size() > 1 ? sealed.get(1).firstIndex() : currentFirstIndex) - 1;
            if (lastOfOldest > index) {
                return;
            }
            Path oldest = sealed.get(0).path();
            try {
                Files.delete(oldest);
            } catch (IOException e) {
                throw StorageException.io("delete", oldest, e, "check permissions; the log itself is intact");
            }
            sealed.remove(0);
            // One at a time and oldest first: a crash must never leave a gap, only a shorter prefix.
            Directories.force(dir);
            log.debug("deleted write-ahead log segment {} (records up to index {})", oldest, lastOfOldest);
        }
    }

    /** Bytes in all segments, including records appended but not yet handed to the OS. */
    public long sizeBytes() {
        return sealed.stream().mapToLong(Recovery.Segment::bytes).sum() + currentBytes();
    }

    /** Number of segment files, including the one being written. */
    public int segmentCount() {
        return sealed.size() + 1;
    }

    /** The directory this log lives in. */
    public Path directory() {
        return dir;
    }

    /** True once a write or force failed; the log then refuses appends and forces until reopened. */
    public boolean isFailed() {
        return failure != null;
    }

    /**
     * Forces every record not known durable (unless the log is failed), closes the files and releases the
     * directory lock. Idempotent.
     *
     * @throws StorageException if the final force fails; the files are closed anyway
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            if (failure == null) {
                force();
            }
        } finally {
            closed = true;
            closeQuietly(channel);
            lock.close();
        }
    }

    /**
     * Before a record that ends at {@code needed}: if it would pass the zeros written ahead, writes
     * the next {@link #prepareBytes} of zeros after what the segment holds (never over a record, not
     * past the segment's size; a record too large for that just grows the file). Not forced here:
     * the next force takes them with the records. Only a speed-up: if the zeros cannot be written
     * (a nearly full disk), the log says so once and goes on without, and the records' own writes
     * decide whether the disk can take them.
     */
    private void prepareFor(long needed) {
        if (prepareBytes == 0 || prepareFailed || needed <= preparedEnd) {
            return;
        }
        long from = Math.max(preparedEnd, currentBytes()) - (flaws.contains(Flaw.ZEROS_OVER_LAST_RECORD) ? 1 : 0);
        long to = Math.min(from + prepareBytes, segmentBytes);
        if (to < needed) {
            return;
        }
        ByteBuffer zeros = ZEROS.duplicate();
        try {
            for (long at = from; at < to; ) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), to - at));
                at += channel.write(zeros, at);
            }
        } catch (IOException e) {
            prepareFailed = true;
            log.warn("could not write zeros ahead of the records of {} ({}); the log goes on without them, "
                    + "each force then also writes the file's new size", currentPath, e.getMessage());
            return;
        }
        preparedEnd = to;
    }

    /** Seals the current segment and starts a new one whose first record will be firstIndex. */
    private void roll(long firstIndex) throws IOException {
        flushBuffer();
        if (prepareBytes > 0 && channel.size() > writtenBytes && !flaws.contains(Flaw.ROLL_KEEPS_ZEROS)) {
            // Zeros are no record: only the last segment may end in bytes that are not records.
            channel.truncate(writtenBytes);
        }
        // Why force here: a later segment must never sit next to an earlier one with a torn tail;
        // recovery treats damage in any but the last segment as lost data. (The force writes a cut
        // file size too: it is needed to read the data back.)
        channel.force(false);
        forcedIndex = firstIndex - 1;
        channel.close();
        sealed.add(new Recovery.Segment(currentPath, currentFirstIndex, writtenBytes, RecordFormat.CURRENT));
        currentPath = dir.resolve(RecordFormat.segmentName(firstIndex));
        currentFirstIndex = firstIndex;
        channel = startSegment(dir, firstIndex, opener);
        writtenBytes = RecordFormat.SEGMENT_HEADER_BYTES;
        preparedEnd = writtenBytes;
    }

    private void writeRecord(long index, byte[] payload) throws IOException {
        if (buffer.remaining() < RecordFormat.HEADER_BYTES) {
            flushBuffer();
        }
        // forcedIndex is the watermark: what was known forced before this record (see RecordFormat).
        buffer.putInt(payload.length).putInt(RecordFormat.checksum(index, forcedIndex, payload)).putLong(index)
                .putLong(forcedIndex);
        int offset = 0;
        while (offset < payload.length) {
            if (!buffer.hasRemaining()) {
                flushBuffer();
            }
            int n = Math.min(buffer.remaining(), payload.length - offset);
            buffer.put(payload, offset, n);
            offset += n;
        }
    }

    private void flushBuffer() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            writtenBytes += channel.write(buffer);
        }
        buffer.clear();
    }

    private long currentBytes() {
        return writtenBytes + buffer.position();
    }

    private List<Recovery.Segment> segments() {
        List<Recovery.Segment> all = new ArrayList<>(sealed);
        all.add(new Recovery.Segment(currentPath, currentFirstIndex, currentBytes(), RecordFormat.CURRENT));
        return all;
    }

    private StorageException fail(String action, Path path, IOException e) {
        StorageException error = StorageException.io(action, path, e,
                "the log stopped accepting records; fix the disk or free space, then restart the replica");
        failure = error.getMessage();
        log.error("{}", failure);
        return error;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("write-ahead log " + dir + " is closed");
        }
    }

    private void ensureHealthy() {
        ensureOpen();
        if (failure != null) {
            throw new StorageException("log is failed: " + failure);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing after a failure or after a successful force: nothing left to lose.
        }
    }
}
