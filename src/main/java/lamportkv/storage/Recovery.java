package lamportkv.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import lamportkv.storage.RecordFormat.Format;

/**
 * Reads every segment of a log directory at open time and decides what is a never-forced tail
 * (safe to cut off: nothing in it was ever acknowledged) and what is damage (data that was once
 * forced is gone: refuse to open).
 *
 * <p>The rule for the last segment in format 2: a bad record at index k is cut off with everything
 * after it, unless a valid record after it says (by its forced watermark) that k was forced. A
 * process crash can tear only the record being written; a power loss can also leave the never-forced
 * tail out of order (a later page on disk, an earlier one not, zeros where data never landed), so
 * valid records after a bad one are no proof of damage by themselves. Format 1 has no watermark, so
 * its tails keep the stricter rule: a bad record with a valid one after it is refused. Damage in a
 * segment before the last is always refused: rolling forced it before the next segment existed.
 *
 * <p>What this cannot see: a record's watermark speaks only of forces before it was appended, so
 * the records of the last force are vouched for only once a later record reaches the disk. Damage
 * to them that no crash explains (a failing disk) looks like a never-forced tail and is cut, with
 * the same WARN line.
 */
final class Recovery {
    /**
     * A segment file, the index its name says it starts at, how many of its bytes are valid (segment
     * header and records), and the format those bytes are in. A segment with no valid bytes has no
     * format yet; it is reported as the current one because that is what will be written into it.
     */
    record Segment(Path path, long firstIndex, long bytes, Format format) {}

    /**
     * What is on disk. The last segment's bytes stop before the torn tail, if there is one; tornBytes
     * is how many bytes must be cut off its file (0 if none). forcedIndex is the highest index the
     * files prove was forced (0 if unknown), at most lastIndex.
     */
    record Result(List<Segment> segments, long lastIndex, long forcedIndex, Tail tail) {
        long tornBytes() {
            return tail == null ? 0 : tail.bytes();
        }
    }

    /**
     * A tail to cut off the last segment: the first bad record, how many bytes from it to the end of
     * the file, what was found after it (said in the WARN line), and whether it is all zeros (the
     * space a log writes ahead of its records, {@link WriteAheadLog#open(Path, long, long)}, or
     * never-forced records whose data never landed: nothing to warn about).
     */
    record Tail(SegmentReader.Bad bad, long bytes, String after, boolean zeros) {}

    private record Scanned(Segment segment, long nextIndex, long maxForced, Tail tail) {}

    private Recovery() {}

    static Result scan(Path dir, ChannelOpener opener) {
        List<Path> files = listSegments(dir);
        List<Segment> segments = new ArrayList<>();
        long next = 1;
        Scanned scanned = null;
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            long first = RecordFormat.firstIndexOf(file);
            if (first < 1) {
                throw new StorageException("write-ahead log segment " + file + " claims first index " + first
                        + " but indexes start at 1: it is not from this log; move it out of " + dir);
            }
            if (i > 0 && first != next) {
                throw new StorageException("gap in write-ahead log " + dir + ": " + files.get(i - 1).getFileName()
                        + " ends at index " + (next - 1) + " but the next segment " + file.getFileName()
                        + " starts at index " + first + " (a segment is missing or truncated); refusing to start "
                        + "with less data: restore the missing segment from backup or rebuild this replica");
            }
            scanned = scanSegment(file, first, i == files.size() - 1, opener);
            segments.add(scanned.segment());
            next = scanned.nextIndex();
        }
        if (scanned == null) {
            return new Result(segments, 0, 0, null);
        }
        long lastIndex = next - 1;
        return new Result(segments, lastIndex, forcedIndex(scanned.segment().firstIndex(), scanned.maxForced(),
                lastIndex), scanned.tail());
    }

    /**
     * The highest index the files prove forced: every segment before the last was forced when the
     * next one was created, and a record's watermark says what was forced before it was appended
     * (capped: a watermark can reach past a cut, the records it speaks of are then gone).
     */
    static long forcedIndex(long firstOfLast, long maxWatermark, long lastIndex) {
        return Math.min(Math.max(firstOfLast - 1, maxWatermark), lastIndex);
    }

    private static List<Path> listSegments(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> RecordFormat.firstIndexOf(p) >= 0 && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw StorageException.io("list", dir, e, "check the directory and its permissions");
        }
    }

    private static Scanned scanSegment(Path file, long first, boolean last, ChannelOpener opener) {
        try (FileChannel channel = opener.open(file, StandardOpenOption.READ)) {
            return switch (SegmentReader.start(channel)) {
                case EMPTY -> new Scanned(new Segment(file, first, 0, RecordFormat.CURRENT), first, 0, null);
                case V2 -> scanRecords(file, first, last, new SegmentReader(channel, Format.V2));
                case NO_HEADER -> scanRecords(file, first, last, new SegmentReader(channel, Format.V1));
                case UNKNOWN_VERSION -> throw new StorageException("write-ahead log segment " + file
                        + " is in format version " + SegmentReader.version(channel) + ", which this version of "
                        + "lamportkv cannot read; run the version that wrote it");
            };
        } catch (IOException e) {
            throw StorageException.io("read", file, e, "check the disk");
        }
    }

    private static Scanned scanRecords(Path file, long first, boolean last, SegmentReader reader)
            throws IOException {
        long next = first;
        long maxForced = 0;
        while (true) {
            SegmentReader.Read read = reader.next(next);
            if (read instanceof SegmentReader.Ok ok) {
                next++;
                maxForced = Math.max(maxForced, ok.forcedThrough());
            } else if (read instanceof SegmentReader.End) {
                return new Scanned(new Segment(file, first, reader.size(), reader.format()), next, maxForced, null);
            } else {
                SegmentReader.Bad bad = describeStart((SegmentReader.Bad) read, reader);
                if (!last) {
                    // Rolling forces the old segment before the next one exists, so a crash cannot tear it.
                    throw damage(file, bad, "in a segment that is not the last one");
                }
                String after = checkCuttable(file, bad, reader, next);
                // A segment cut to nothing has lost its header too; it gets a new one, in the current format.
                Format format = bad.offset() == 0 ? RecordFormat.CURRENT : reader.format();
                return new Scanned(new Segment(file, first, bad.offset(), format), next, maxForced,
                        new Tail(bad, reader.size() - bad.offset(), after, reader.zerosFrom(bad.offset())));
            }
        }
    }

    /**
     * Throws unless the last segment may be cut at bad, where record k was expected; returns what was
     * found after it, for the WARN line. A segment with nothing readable at offset 0 has no format-2
     * header: it is either format 1 or a format-2 segment whose header never reached the disk, so
     * both rules must allow the cut.
     */
    private static String checkCuttable(Path file, SegmentReader.Bad bad, SegmentReader reader, long k)
            throws IOException {
        if (reader.format() == Format.V2) {
            return checkNeverForced(file, bad, reader, k);
        }
        if (bad.offset() == 0) {
            checkNeverForced(file, bad, reader.as(Format.V2), k);
        }
        return checkTornV1(file, bad, reader, k);
    }

    /** Says so when nothing at all is readable at the start of a segment without a format-2 header. */
    private static SegmentReader.Bad describeStart(SegmentReader.Bad bad, SegmentReader reader) {
        if (reader.format() != Format.V1 || bad.offset() != 0) {
            return bad;
        }
        return new SegmentReader.Bad(0, "no format-2 segment header and no valid format-1 record (" + bad.problem()
                + ")", bad.maybeTorn());
    }

    /**
     * Format 2: refuses if a valid record after bad says that record k was forced. A record's
     * watermark only speaks of records before it, so a stale block (index below k) never counts.
     */
    private static String checkNeverForced(Path file, SegmentReader.Bad bad, SegmentReader reader, long k)
            throws IOException {
        SegmentReader.Found strongest = reader.scan(bad.offset(), k - 1).strongest();
        if (strongest == null) {
            return "nothing valid after it";
        }
        if (strongest.forcedThrough() >= k) {
            throw new StorageException("damaged write-ahead log segment " + file + " at offset " + bad.offset()
                    + ": " + bad.problem() + " (record " + k + " expected), but record " + strongest.index()
                    + " (offset " + strongest.offset() + ") says records up to " + strongest.forcedThrough()
                    + " were forced; refusing to start with less data: restore the directory from backup or "
                    + "rebuild this replica from a healthy one");
        }
        return "the valid records after it say only records up to " + strongest.forcedThrough() + " were forced";
    }

    /** Format 1 (no watermark): only a torn write at the very end may be cut, with nothing valid after it. */
    private static String checkTornV1(Path file, SegmentReader.Bad bad, SegmentReader reader, long k)
            throws IOException {
        if (!bad.maybeTorn()) {
            throw damage(file, bad, "an interrupted write cannot cause this");
        }
        SegmentReader.Found valid = reader.scan(bad.offset(), k - 1).first();
        if (valid != null) {
            throw damage(file, bad, "a valid record follows at offset " + valid.offset()
                    + " (format 1 does not say what was forced)");
        }
        return "nothing valid after it";
    }

    static StorageException damage(Path file, SegmentReader.Bad bad, String why) {
        return new StorageException("damaged write-ahead log segment " + file + " at offset " + bad.offset() + ": "
                + bad.problem() + ", " + why + "; refusing to start with less data: restore the directory from "
                + "backup or rebuild this replica from a healthy one");
    }
}
