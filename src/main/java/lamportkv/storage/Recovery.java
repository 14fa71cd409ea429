package lamportkv.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads every segment of a log directory at open time and decides what is a torn tail (a crash in
 * the middle of a write, safe to cut off because it was never forced and so never acknowledged)
 * and what is damage (data that was once there is gone: refuse to open).
 */
final class Recovery {
    /** A segment file, the index its name says it starts at, and how many of its bytes are valid records. */
    record Segment(Path path, long firstIndex, long bytes) {}

    /**
     * What is on disk. The last segment's bytes stop before the torn tail, if there is one; tornBytes
     * is how many bytes must be cut off its file (0 if none).
     */
    record Result(List<Segment> segments, long lastIndex, SegmentReader.Bad tornTail, long tornBytes) {}

    private record Scanned(long nextIndex, long validBytes, SegmentReader.Bad tornTail, long tornBytes) {}

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
            segments.add(new Segment(file, first, scanned.validBytes()));
            next = scanned.nextIndex();
        }
        return scanned == null
                ? new Result(segments, 0, null, 0)
                : new Result(segments, next - 1, scanned.tornTail(), scanned.tornBytes());
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
            SegmentReader reader = new SegmentReader(channel);
            long next = first;
            while (true) {
                SegmentReader.Read read = reader.next(next);
                if (read instanceof SegmentReader.Ok) {
                    next++;
                } else if (read instanceof SegmentReader.End) {
                    return new Scanned(next, reader.size(), null, 0);
                } else {
                    SegmentReader.Bad bad = (SegmentReader.Bad) read;
                    checkTorn(file, bad, last, reader, next - 1);
                    return new Scanned(next, bad.offset(), bad, reader.size() - bad.offset());
                }
            }
        } catch (IOException e) {
            throw StorageException.io("read", file, e, "check the disk");
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
        long valid = reader.findValidRecordAfter(bad.offset(), lastGoodIndex);
        if (valid >= 0) {
            throw damage(file, bad, "a valid record follows at offset " + valid);
        }
    }

    static StorageException damage(Path file, SegmentReader.Bad bad, String why) {
        return new StorageException("damaged write-ahead log segment " + file + " at offset " + bad.offset() + ": "
                + bad.problem() + ", " + why + "; refusing to start with less data: restore the directory from "
                + "backup or rebuild this replica from a healthy one");
    }
}
