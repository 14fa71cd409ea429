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
 * Reads every segment of a log directory at open time and decides what is a torn tail (a crash in
 * the middle of a write, safe to cut off because it was never forced and so never acknowledged)
 * and what is damage (data that was once there is gone: refuse to open).
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
    record Result(List<Segment> segments, long lastIndex, long forcedIndex, SegmentReader.Bad tornTail,
            long tornBytes) {}

    private record Scanned(Segment segment, long nextIndex, long maxForced, SegmentReader.Bad tornTail,
            long tornBytes) {}

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
            return new Result(segments, 0, 0, null, 0);
        }
        long lastIndex = next - 1;
        return new Result(segments, lastIndex, forcedIndex(scanned.segment().firstIndex(), scanned.maxForced(),
                lastIndex), scanned.tornTail(), scanned.tornBytes());
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
                case EMPTY -> new Scanned(new Segment(file, first, 0, RecordFormat.CURRENT), first, 0, null, 0);
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
                return new Scanned(new Segment(file, first, reader.size(), reader.format()), next, maxForced, null, 0);
            } else {
                SegmentReader.Bad bad = (SegmentReader.Bad) read;
                checkTorn(file, bad, last, reader, next - 1);
                // A segment cut to nothing has lost its header too; it gets a new one, in the current format.
                Format format = bad.offset() == 0 ? RecordFormat.CURRENT : reader.format();
                return new Scanned(new Segment(file, first, bad.offset(), format), next, maxForced, bad,
                        reader.size() - bad.offset());
            }
        }
    }

    /** Throws unless bad is a torn tail: at the end of the last segment, with nothing valid after it. */
    private static void checkTorn(Path file, SegmentReader.Bad bad, boolean last, SegmentReader reader,
            long lastGoodIndex) throws IOException {
        if (!last) {
            // Rolling forces the old segment before the next one exists, so a crash cannot tear it.
            throw damage(file, bad, "in a segment that is not the last one");
        }
        if (!bad.maybeTorn()) {
            throw damage(file, bad, "an interrupted write cannot cause this");
        }
        SegmentReader.Found valid = reader.scan(bad.offset(), lastGoodIndex).first();
        if (valid != null) {
            throw damage(file, bad, "a valid record follows at offset " + valid.offset());
        }
    }

    static StorageException damage(Path file, SegmentReader.Bad bad, String why) {
        return new StorageException("damaged write-ahead log segment " + file + " at offset " + bad.offset() + ": "
                + bad.problem() + ", " + why + "; refusing to start with less data: restore the directory from "
                + "backup or rebuild this replica from a healthy one");
    }
}
