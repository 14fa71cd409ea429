package lamportkv.storage;

import static lamportkv.storage.RecordFormat.HEADER_BYTES;
import static lamportkv.storage.RecordFormat.MAX_PAYLOAD_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads the records of one segment file front to back through a read-ahead window, checking each
 * one. It reports damage as a value instead of throwing, because only the caller knows whether
 * damage at that spot is a harmless torn tail or lost data.
 */
final class SegmentReader {
    private static final int WINDOW_BYTES = 256 << 10;

    private final FileChannel channel;
    private final long size;
    private final ByteBuffer window = ByteBuffer.allocate(WINDOW_BYTES);
    private long windowStart;
    private final byte[] header = new byte[HEADER_BYTES];
    private long offset;

    /** What reading at the current offset found. */
    sealed interface Read permits Ok, End, Bad {}

    /** A record that checks out. */
    record Ok(long offset, long index, byte[] payload) implements Read {}

    /** A clean end of file at a record boundary. */
    record End() implements Read {}

    /**
     * No valid record at offset. maybeTorn is false when the record's checksum is fine but it is out of
     * place: a crash in the middle of a write cannot produce that.
     */
    record Bad(long offset, String problem, boolean maybeTorn) implements Read {}

    /** The channel's size is taken now: bytes appended later are not read. */
    SegmentReader(FileChannel channel) throws IOException {
        this.channel = channel;
        this.size = channel.size();
        window.limit(0);
    }

    long size() {
        return size;
    }

    /** Reads the record at the current offset, expected to carry expectedIndex, and moves past it if valid. */
    Read next(long expectedIndex) throws IOException {
        long start = offset;
        long remaining = size - start;
        if (remaining == 0) {
            return new End();
        }
        if (remaining < HEADER_BYTES) {
            return new Bad(start, "partial record header (" + remaining + " of " + HEADER_BYTES + " bytes)", true);
        }
        copy(start, header, 0, HEADER_BYTES);
        ByteBuffer h = ByteBuffer.wrap(header);
        int length = h.getInt(0);
        int checksum = h.getInt(4);
        long index = h.getLong(8);
        if (length < 0 || length > MAX_PAYLOAD_BYTES) {
            return new Bad(start, "impossible payload length " + length, true);
        }
        if (length > remaining - HEADER_BYTES) {
            return new Bad(start, "record of " + length + " payload bytes runs past the end of the file ("
                    + (remaining - HEADER_BYTES) + " bytes left)", true);
        }
        byte[] payload = new byte[length];
        copy(start + HEADER_BYTES, payload, 0, length);
        if (RecordFormat.checksum(index, payload) != checksum) {
            return new Bad(start, "checksum mismatch", true);
        }
        if (index != expectedIndex) {
            return new Bad(start, "record has index " + index + " where " + expectedIndex + " was expected", false);
        }
        offset = start + HEADER_BYTES + length;
        return new Ok(start, index, payload);
    }

    /**
     * The offset of the first valid record that starts after from and has an index above lastGoodIndex,
     * or -1 if there is none. Tells a torn tail (garbage or zeros up to the end) from damage in the
     * middle (valid records after it, which must not be thrown away). Cheap on garbage: the index
     * must be plausible before any checksum is computed.
     */
    long findValidRecordAfter(long from, long lastGoodIndex) throws IOException {
        long maxIndex = lastGoodIndex + (size - from) / HEADER_BYTES + 1; // more records cannot fit
        ByteBuffer scan = ByteBuffer.allocate(1 << 20);
        long base = from + 1;
        while (base + HEADER_BYTES <= size) {
            scan.clear();
            int n = Directories.readFully(channel, scan, base);
            if (n < HEADER_BYTES) {
                break; // the file shrank under us; nothing more to find
            }
            for (int i = 0; i + HEADER_BYTES <= n; i++) {
                long candidate = base + i;
                int length = scan.getInt(i);
                long index = scan.getLong(i + 8);
                if (index > lastGoodIndex && index <= maxIndex && length >= 0 && length <= MAX_PAYLOAD_BYTES
                        && candidate + HEADER_BYTES + length <= size && checksumMatches(candidate, length, index,
                        scan.getInt(i + 4))) {
                    return candidate;
                }
            }
            base += n - HEADER_BYTES + 1;
        }
        return -1;
    }

    private boolean checksumMatches(long at, int length, long index, int checksum) throws IOException {
        byte[] payload = new byte[length];
        copy(at + HEADER_BYTES, payload, 0, length);
        return RecordFormat.checksum(index, payload) == checksum;
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
