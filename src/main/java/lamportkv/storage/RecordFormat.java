package lamportkv.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of log segments and their names. All numbers are big-endian.
 *
 * <p><b>Format 2</b> (written since the forced watermark). A segment starts with an 8-byte header
 * {@code [int magic 0x4C4B5657 ("LKVW")][int version 2]}, followed by records
 * {@code [int payloadLength][int CRC32C(index, forcedThrough, payload)][long index][long forcedThrough][payload]}.
 * {@code forcedThrough} is the highest index the log knew forced (by a completed force or a segment
 * roll) when it appended the record; it is always below the record's own index. It lets recovery
 * tell a tail that was never forced (safe to cut after a power loss, however torn or out of order)
 * from damage inside forced data (refuse): a valid record that says index k was forced proves that
 * a bad record at k is lost data.
 *
 * <p><b>Format 1</b> (read only). No segment header; records are
 * {@code [int payloadLength][int CRC32C(index, payload)][long index][payload]}. Its forced position
 * is unknown. The two cannot be confused: the magic read as a format-1 length is far above
 * {@link #MAX_PAYLOAD_BYTES}.
 *
 * <p>In both, the index is inside the checksum so that a record that is intact but in the wrong
 * place (a stale or duplicated block) is caught too.
 */
final class RecordFormat {
    static final int MAGIC = 0x4C4B5657;
    static final int VERSION = 2;
    static final int SEGMENT_HEADER_BYTES = 8;
    /** Larger lengths are damage, not a request to allocate gigabytes. */
    static final int MAX_PAYLOAD_BYTES = 64 << 20;

    /** The record layouts this code reads; it writes only the current one. */
    enum Format {
        V1(0, 16),
        V2(SEGMENT_HEADER_BYTES, 24);

        /** Where the first record starts: after the segment header, if the format has one. */
        final int firstRecordOffset;
        /** Bytes of a record before its payload. */
        final int headerBytes;

        Format(int firstRecordOffset, int headerBytes) {
            this.firstRecordOffset = firstRecordOffset;
            this.headerBytes = headerBytes;
        }

        /** The checksum a record of this format with these fields carries (format 1 has no forcedThrough). */
        int checksum(long index, long forcedThrough, byte[] payload) {
            return this == V1 ? RecordFormat.checksumV1(index, payload) : RecordFormat.checksum(index, forcedThrough,
                    payload);
        }

        /** The forcedThrough field of the record header at offset at of header, 0 (unknown) in format 1. */
        long forcedThrough(ByteBuffer header, int at) {
            return this == V1 ? 0 : header.getLong(at + 16);
        }
    }

    static final Format CURRENT = Format.V2;
    static final int HEADER_BYTES = CURRENT.headerBytes;

    /** Zero-padded so that lexicographic order of names is index order. */
    private static final Pattern SEGMENT_NAME = Pattern.compile("wal-(\\d{20})\\.log");

    private RecordFormat() {}

    /** The checksum of a format-2 record. */
    static int checksum(long index, long forcedThrough, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(2 * Long.BYTES).putLong(0, index).putLong(Long.BYTES, forcedThrough));
        crc.update(payload);
        return (int) crc.getValue();
    }

    /** The checksum of a format-1 record. */
    static int checksumV1(long index, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(Long.BYTES).putLong(0, index));
        crc.update(payload);
        return (int) crc.getValue();
    }

    /** The header every new segment starts with. */
    static ByteBuffer segmentHeader() {
        return ByteBuffer.allocate(SEGMENT_HEADER_BYTES).putInt(MAGIC).putInt(VERSION).flip();
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
