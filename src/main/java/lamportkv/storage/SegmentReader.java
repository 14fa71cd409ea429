package lamportkv.storage;

import static lamportkv.storage.RecordFormat.MAX_PAYLOAD_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import lamportkv.storage.RecordFormat.Format;

/**
 * Reads the records of one segment file front to back through a read-ahead window, checking each
 * one. It reports damage as a value instead of throwing, because only the caller knows whether
 * damage at that spot is a harmless torn tail or lost data.
 */
final class SegmentReader {
    private static final int WINDOW_BYTES = 256 << 10;
    /** Versions above this are not a later format but a damaged header. */
    private static final int MAX_PLAUSIBLE_VERSION = 255;

    private final FileChannel channel;
    private final Format format;
    private final long size;
    private final ByteBuffer window = ByteBuffer.allocate(WINDOW_BYTES);
    private long windowStart;
    private final byte[] header;
    private long offset;

    /** What a segment file's first bytes say about how to read it. */
    enum Start {
        /** No bytes at all: a segment created but never written to (or whose writes were all lost). */
        EMPTY,
        /** A format-2 segment header. */
        V2,
        /**
         * No usable segment header: format 1, or a format-2 segment whose header was never forced and
         * is lost or torn.
         */
        NO_HEADER,
        /** Our magic with a later version than this code knows: written by a newer lamportkv. */
        UNKNOWN_VERSION
    }

    /** What reading at the current offset found. */
    sealed interface Read permits Ok, End, Bad {}

    /** A record that checks out; forcedThrough is 0 (unknown) in format 1. */
    record Ok(long offset, long index, long forcedThrough, byte[] payload) implements Read {}

    /** A clean end of file at a record boundary. */
    record End() implements Read {}

    /**
     * No valid record at offset. maybeTorn is false when the record's checksum is fine but it is out of
     * place: a crash in the middle of a write cannot produce that (it matters for format 1; in format
     * 2 the watermarks decide, because a power loss can leave stale blocks in a never-forced tail).
     */
    record Bad(long offset, String problem, boolean maybeTorn) implements Read {}

    /** A valid record found by {@link #scan}: where it starts, its index and its forced watermark. */
    record Found(long offset, long index, long forcedThrough) {}

    /**
     * What {@link #scan} found: the first valid record and the one with the highest forcedThrough
     * (the earliest of those if several), both null if none.
     */
    record Survivors(Found first, Found strongest) {}

    /** The channel's size is taken now: bytes appended later are not read. Starts at the first record. */
    SegmentReader(FileChannel channel, Format format) throws IOException {
        this.channel = channel;
        this.format = format;
        this.size = channel.size();
        this.header = new byte[format.headerBytes];
        this.offset = Math.min(format.firstRecordOffset, size);
        window.limit(0);
    }

    /**
     * Reads the first bytes of a segment file to tell which format it is in. The magic followed by
     * a version that no lamportkv wrote (0, 1, or garbage) is a torn header, not a newer format:
     * refusing would keep a replica down over a never-forced header, and recovery still refuses if
     * records behind it say they were forced.
     */
    static Start start(FileChannel channel) throws IOException {
        if (channel.size() == 0) {
            return Start.EMPTY;
        }
        ByteBuffer first = ByteBuffer.allocate(RecordFormat.SEGMENT_HEADER_BYTES);
        if (Directories.readFully(channel, first, 0) < first.capacity() || first.getInt(0) != RecordFormat.MAGIC) {
            return Start.NO_HEADER;
        }
        int version = first.getInt(4);
        if (version == RecordFormat.VERSION) {
            return Start.V2;
        }
        return version > RecordFormat.VERSION && version <= MAX_PLAUSIBLE_VERSION ? Start.UNKNOWN_VERSION
                : Start.NO_HEADER;
    }

    /** The version field of a segment whose {@link #start} is UNKNOWN_VERSION, for the error message. */
    static int version(FileChannel channel) throws IOException {
        ByteBuffer first = ByteBuffer.allocate(RecordFormat.SEGMENT_HEADER_BYTES);
        Directories.readFully(channel, first, 0);
        return first.getInt(4);
    }

    /** A reader of the same file in another format, at its first record (to look for what a lost header hid). */
    SegmentReader as(Format other) throws IOException {
        return new SegmentReader(channel, other);
    }

    /** Whether every byte from {@code from} to the end of the file (as sized when this reader was made) is zero. */
    boolean zerosFrom(long from) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(WINDOW_BYTES);
        for (long at = from; at < size; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), size - at));
            int n = Directories.readFully(channel, chunk, at);
            if (n == 0) {
                return true;            // the file is shorter than it was: nothing more to read
            }
            for (int i = 0; i < n; i++) {
                if (chunk.get(i) != 0) {
                    return false;
                }
            }
            at += n;
        }
        return true;
    }

    long size() {
        return size;
    }

    Format format() {
        return format;
    }

    /** Reads the record at the current offset, expected to carry expectedIndex, and moves past it if valid. */
    Read next(long expectedIndex) throws IOException {
        long start = offset;
        long remaining = size - start;
        int headerBytes = format.headerBytes;
        if (remaining == 0) {
            return new End();
        }
        if (remaining < headerBytes) {
            return new Bad(start, "partial record header (" + remaining + " of " + headerBytes + " bytes)", true);
        }
        copy(start, header, 0, headerBytes);
        ByteBuffer h = ByteBuffer.wrap(header);
        int length = h.getInt(0);
        int checksum = h.getInt(4);
        long index = h.getLong(8);
        long forcedThrough = format.forcedThrough(h, 0);
        if (length < 0 || length > MAX_PAYLOAD_BYTES) {
            return new Bad(start, "impossible payload length " + length, true);
        }
        if (length > remaining - headerBytes) {
            return new Bad(start, "record of " + length + " payload bytes runs past the end of the file ("
                    + (remaining - headerBytes) + " bytes left)", true);
        }
        byte[] payload = new byte[length];
        copy(start + headerBytes, payload, 0, length);
        if (format.checksum(index, forcedThrough, payload) != checksum) {
            return new Bad(start, "checksum mismatch", true);
        }
        if (index != expectedIndex) {
            return new Bad(start, "record has index " + index + " where " + expectedIndex + " was expected", false);
        }
        if (!plausibleWatermark(index, forcedThrough)) {
            return new Bad(start, "record " + index + " claims records up to " + forcedThrough + " were forced", false);
        }
        offset = start + headerBytes + length;
        return new Ok(start, index, forcedThrough, payload);
    }

    /** A record is appended after what was forced before it: its watermark is below its own index. */
    private boolean plausibleWatermark(long index, long forcedThrough) {
        return format == Format.V1 || (forcedThrough >= 0 && forcedThrough < index);
    }

    /**
     * Tries every byte offset from from (inclusive) to the end for a valid record with an index above
     * lastGoodIndex. Used after a bad record, to tell a torn tail from damage in the middle: what
     * survives after it, and what those survivors say was forced. Records with an index at most
     * lastGoodIndex are ignored: the index is in the checksum, so such a record is recognized as a
     * stale or duplicated block, not as a successor. Cheap on garbage and zeros: the index must be
     * plausible before any checksum is computed.
     */
    Survivors scan(long from, long lastGoodIndex) throws IOException {
        int headerBytes = format.headerBytes;
        long maxIndex = lastGoodIndex + (size - from) / headerBytes + 1; // more records cannot fit
        ByteBuffer scan = ByteBuffer.allocate(1 << 20);
        Found first = null;
        Found strongest = null;
        long base = from;
        while (base + headerBytes <= size) {
            scan.clear();
            int n = Directories.readFully(channel, scan, base);
            if (n < headerBytes) {
                break; // the file shrank under us; nothing more to find
            }
            for (int i = 0; i + headerBytes <= n; i++) {
                long candidate = base + i;
                int length = scan.getInt(i);
                long index = scan.getLong(i + 8);
                long forcedThrough = format.forcedThrough(scan, i);
                if (index > lastGoodIndex && index <= maxIndex && length >= 0 && length <= MAX_PAYLOAD_BYTES
                        && plausibleWatermark(index, forcedThrough) && candidate + headerBytes + length <= size
                        && checksumMatches(candidate, length, index, forcedThrough, scan.getInt(i + 4))) {
                    Found found = new Found(candidate, index, forcedThrough);
                    first = first == null ? found : first;
                    strongest = strongest == null || forcedThrough > strongest.forcedThrough() ? found : strongest;
                }
            }
            base += n - headerBytes + 1;
        }
        return new Survivors(first, strongest);
    }

    private boolean checksumMatches(long at, int length, long index, long forcedThrough, int checksum)
            throws IOException {
        byte[] payload = new byte[length];
        copy(at + format.headerBytes, payload, 0, length);
        return format.checksum(index, forcedThrough, payload) == checksum;
    }

    /** Copies n bytes at file position pos into dst; the caller has checked that they exist. */
    private void copy(long pos, byte[] dst, int off, int n) throws IOException {
        while (n > 0) {
            if (pos < windowStart || pos >= windowStart + window.limit()) {
                fill(pos);
            }
            int at = (int) (pos - windowStart);
            int chunk = Math.min(n, window.limit() - at);
            window.get(at, dst, off, chunk);
            pos += chunk;
            off += chunk;
            n -= chunk;
        }
    }

    private void fill(long pos) throws IOException {
        window.clear();
        int n = Directories.readFully(channel, window, pos);
        if (n <= 0) {
            throw new IOException("file shrank while being read (nothing at offset " + pos + ")");
        }
        window.position(0).limit(n);
        windowStart = pos;
    }
}
