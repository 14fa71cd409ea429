package lamportkv.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of log records and segment names.
 *
 * <p>A record is {@code [int payloadLength][int CRC32C(index, payload)][long index][payload]}, big-endian.
 * The index is inside the checksum so that a record that is intact but in the wrong place (a stale or
 * duplicated block) is caught too.
 */
final class RecordFormat {
    static final int HEADER_BYTES = 16;
    /** Larger lengths are damage, not a request to allocate gigabytes. */
    static final int MAX_PAYLOAD_BYTES = 64 << 20;

    /** Zero-padded so that lexicographic order of names is index order. */
    private static final Pattern SEGMENT_NAME = Pattern.compile("wal-(\\d{20})\\.log");

    private RecordFormat() {}

    static int checksum(long index, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(Long.BYTES).putLong(0, index));
        crc.update(payload);
        return (int) crc.getValue();
    }

    static String segmentName(long firstIndex) {
        return String.format("wal-%020d.log", firstIndex);
    }

    /** The first index encoded in a segment file's name, or -1 if the file is not a segment. */
    static long firstIndexOf(Path file) {
        Matcher m = SEGMENT_NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            return -1;
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return -1; // 20 digits can exceed a long; such a file is not ours
        }
    }
}
