package lamportkv.storage;

import static lamportkv.storage.LogFiles.entries;
import static lamportkv.storage.LogFiles.payload;
import static lamportkv.storage.LogFiles.replay;
import static lamportkv.storage.LogFiles.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data directories written by the previous version (format 1: no segment header, no watermark)
 * open and replay; new records go to a new format-2 segment, never into a format-1 one.
 */
class WalFormatOneTest {
    @TempDir
    Path dir;

    private Path writeV1(long first, long last) throws IOException {
        Path file = dir.resolve(RecordFormat.segmentName(first));
        Files.write(file, LogFiles.v1Segment(entries(first, last)));
        return file;
    }

    /** Where format-1 record index starts in a segment whose first record is first. */
    private static long v1Offset(long first, long index) {
        return LogFiles.v1Segment(entries(first, index - 1)).length;
    }

    @Test
    void aFormatOneLogOpensReplaysAndAppendsGoToANewFormatTwoSegment() throws IOException {
        writeV1(1, 3);
        Path old = writeV1(4, 6);
        byte[] before = Files.readAllBytes(old);
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, faults.opener())) {
            assertThat(wal.lastIndex()).isEqualTo(6);
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 6));
            // Sealing the old segment forced it: nothing replayed is in doubt any more.
            assertThat(faults.forces.get()).isEqualTo(1);
            assertThat(wal.forcedIndex()).isEqualTo(6);
            assertThat(wal.append(payload(7))).isEqualTo(7);
        }
        assertThat(segments(dir)).extracting(p -> p.getFileName().toString()).containsExactly(
                "wal-00000000000000000001.log", "wal-00000000000000000004.log", "wal-00000000000000000007.log");
        assertThat(Files.readAllBytes(old)).isEqualTo(before);
        assertThat(LogFiles.places(segments(dir).get(2))).hasSize(1); // format 2: header, then one record
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 7));
            assertThat(wal.segmentCount()).isEqualTo(3);
        }
    }

    @Test
    void aTornFormatOneTailIsCutAndTheSegmentSealed() throws IOException {
        Path file = writeV1(1, 5);
        long fifth = v1Offset(1, 5);
        LogFiles.truncate(file, fifth + 7); // inside record 5's header
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(wal.lastIndex()).isEqualTo(4);
            assertThat(wal.forcedIndex()).isEqualTo(4);
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 4));
            assertThat(wal.append(payload(5))).isEqualTo(5);
        }
        assertThat(LogFiles.size(file)).isEqualTo(fifth);
        assertThat(segments(dir)).extracting(p -> p.getFileName().toString()).containsExactly(
                "wal-00000000000000000001.log", "wal-00000000000000000005.log");
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 5));
        }
    }

    @Test
    void aFormatOneTailWithAValidRecordAfterABadOneIsStillRefused() throws IOException {
        // Format 1 does not say what was forced, so the bad record may have been acknowledged.
        Path file = writeV1(1, 6);
        long third = v1Offset(1, 3);
        LogFiles.flipByte(file, third + LogFiles.V1_RECORD_HEADER);
        assertRefused(file, "offset " + third, "checksum mismatch", "a valid record follows");
    }

    @Test
    void aFormatOneRecordOutOfPlaceIsStillRefused() throws IOException {
        Path file = writeV1(1, 4);
        byte[] bytes = Files.readAllBytes(file);
        long fourth = v1Offset(1, 4);
        LogFiles.appendBytes(file, Arrays.copyOfRange(bytes, (int) fourth, bytes.length));
        assertRefused(file, "offset " + bytes.length, "index 4 where 5 was expected");
    }

    @Test
    void aFormatOneSegmentWhoseFirstRecordIsBadBeforeValidOnesIsRefused() throws IOException {
        // Without a header the first bytes could also be a lost format-2 header; valid format-1 records say not.
        Path file = writeV1(1, 4);
        LogFiles.write(file, 0, new byte[LogFiles.V1_RECORD_HEADER]);
        assertRefused(file, "offset 0", "a valid record follows");
    }

    @Test
    void anEmptySegmentOfThePreviousVersionGetsAFormatTwoHeader() throws IOException {
        Path file = dir.resolve(RecordFormat.segmentName(1));
        Files.write(file, new byte[0]); // what the previous version's open left in a new data directory
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(wal.lastIndex()).isZero();
            wal.append(payload(1));
        }
        assertThat(segments(dir)).containsExactly(file);
        assertThat(ByteBuffer.wrap(Files.readAllBytes(file)).getInt(0)).isEqualTo(0x4C4B5657);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 1));
        }
    }

    @Test
    void aSegmentOfAnUnknownLaterVersionIsRefused() throws IOException {
        Path file = dir.resolve(RecordFormat.segmentName(1));
        Files.write(file, ByteBuffer.allocate(8).putInt(0x4C4B5657).putInt(3).array());
        assertRefused(file, "format version 3");
    }

    private void assertRefused(Path file, String... fragments) throws IOException {
        byte[] before = Files.readAllBytes(file);
        List<Path> segments = segments(dir);
        assertThatThrownBy(() -> WriteAheadLog.open(dir, 1 << 20)).isInstanceOf(StorageException.class)
                .hasMessageContaining(file.toString()).hasMessageContainingAll(fragments);
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(segments(dir)).isEqualTo(segments);
    }
}
