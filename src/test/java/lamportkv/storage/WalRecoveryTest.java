package lamportkv.storage;

import static lamportkv.storage.LogFiles.entries;
import static lamportkv.storage.LogFiles.payload;
import static lamportkv.storage.LogFiles.places;
import static lamportkv.storage.LogFiles.replay;
import static lamportkv.storage.LogFiles.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lamportkv.storage.LogFiles.Place;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What open() does with damaged files: cut off a torn tail, refuse damage to forced data. Every
 * record is forced before the next is appended, so each record's watermark says its predecessor
 * was forced: damage to any record but the last is damage inside forced data.
 */
class WalRecoveryTest {
    private static final long SEGMENT = 300;
    private static final int RECORDS = 46;

    @TempDir
    Path dir;

    @BeforeEach
    void writeLog() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            for (long i = 1; i <= RECORDS; i++) {
                wal.append(payload(i));
                wal.force();
            }
        }
        assertThat(segments(dir)).hasSizeGreaterThanOrEqualTo(4);
        assertThat(places(last())).hasSizeGreaterThanOrEqualTo(3);
    }

    private Path last() {
        List<Path> segments = segments(dir);
        return segments.get(segments.size() - 1);
    }

    private Place lastRecord() {
        List<Place> places = places(last());
        return places.get(places.size() - 1);
    }

    enum Torn {
        CUT_INSIDE_HEADER, CUT_INSIDE_PAYLOAD, BAD_CHECKSUM, IMPOSSIBLE_LENGTH, HEADER_ZEROED
    }

    @ParameterizedTest
    @EnumSource(Torn.class)
    void aTornLastRecordIsDroppedAndTheLogAppendsAfterIt(Torn form) {
        Path file = last();
        Place torn = lastRecord();
        switch (form) {
            case CUT_INSIDE_HEADER -> LogFiles.truncate(file, torn.offset() + 7);
            case CUT_INSIDE_PAYLOAD -> LogFiles.truncate(file,
                    torn.offset() + LogFiles.RECORD_HEADER + torn.payloadLength() / 2);
            case BAD_CHECKSUM -> LogFiles.flipByte(file, torn.end() - 1);
            case IMPOSSIBLE_LENGTH -> LogFiles.write(file, torn.offset(), ByteBuffer.allocate(4).putInt(-3).array());
            case HEADER_ZEROED -> LogFiles.write(file, torn.offset(), new byte[LogFiles.RECORD_HEADER]);
        }

        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(wal.lastIndex()).isEqualTo(RECORDS - 1);
            assertThat(replay(wal, 0)).isEqualTo(entries(1, RECORDS - 1));
            assertThat(LogFiles.size(file)).isEqualTo(torn.offset());
            assertThat(wal.append("after the crash".getBytes())).isEqualTo(RECORDS);
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            List<LogFiles.Entry> all = replay(wal, 0);
            assertThat(all).hasSize(RECORDS);
            assertThat(all.get(RECORDS - 1).payload()).isEqualTo("after the crash".getBytes());
        }
    }

    @Test
    void zerosAfterTheLastRecordAreATornTail() {
        // Some file systems extend a file before the data lands: the tail then reads as zeros.
        long size = LogFiles.size(last());
        LogFiles.appendBytes(last(), new byte[5000]);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, RECORDS));
        }
        assertThat(LogFiles.size(last())).isEqualTo(size);
    }

    @Test
    void aCorruptedByteInTheMiddleOfTheLastSegmentIsRefused() {
        Path file = last();
        List<Place> places = places(file);
        Place first = places.get(0);
        long k = RECORDS - places.size() + 1;
        LogFiles.flipByte(file, first.offset() + LogFiles.RECORD_HEADER);
        // The strongest witness is the last record: it says everything before it was forced.
        assertRefused(file, first.offset(), "checksum mismatch (record " + k + " expected), but record " + RECORDS
                + " (offset " + lastRecord().offset() + ") says records up to " + (RECORDS - 1) + " were forced");
    }

    @Test
    void aCorruptedLengthInTheMiddleIsRefusedAlthoughItLooksLikeACutPayload() {
        Path file = last();
        Place first = places(file).get(0);
        LogFiles.write(file, first.offset(), ByteBuffer.allocate(4).putInt(1 << 20).array());
        assertRefused(file, first.offset(), "runs past the end of the file");
    }

    @Test
    void aZeroedHeaderInTheMiddleIsRefused() {
        Path file = last();
        Place second = places(file).get(1);
        LogFiles.write(file, second.offset(), new byte[LogFiles.RECORD_HEADER]);
        assertRefused(file, second.offset(), "were forced");
    }

    @Test
    void aLostSegmentHeaderInFrontOfForcedRecordsIsRefused() {
        Path file = last();
        LogFiles.write(file, 0, new byte[LogFiles.SEGMENT_HEADER]);
        assertRefused(file, 0, "no format-2 segment header", "were forced");
    }

    @Test
    void aTornSegmentHeaderInFrontOfForcedRecordsIsRefused() {
        // Magic intact, version garbage: not a later format, a damaged header.
        Path file = last();
        LogFiles.write(file, 4, new byte[] {(byte) 0xA7, 0x11, 0x3C, 0x05});
        assertRefused(file, 0, "no format-2 segment header", "were forced");
    }

    @Test
    void aFreshSegmentWithATornHeaderIsCutToNothing() {
        Path file = last();
        long first = RecordFormat.firstIndexOf(file);
        LogFiles.truncate(file, 5); // the header never fully landed; no record of this segment did
        LogFiles.appendBytes(file, new byte[] {(byte) 0xA7, 0x11, 0x3C, 0x05, 0x77, 0x01});
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, first - 1));
        }
        assertThat(LogFiles.size(file)).isEqualTo(LogFiles.SEGMENT_HEADER);
    }

    @Test
    void aStaleCopyOfTheLastRecordAfterItIsANeverForcedTail() throws Exception {
        // The copy checks out by itself, but the index in its checksum says it is not record RECORDS + 1;
        // and its watermark, like that of any record before RECORDS + 1, cannot say that RECORDS + 1 was forced.
        Path file = last();
        Place lastRecord = lastRecord();
        byte[] bytes = Files.readAllBytes(file);
        byte[] copy = Arrays.copyOfRange(bytes, (int) lastRecord.offset(), (int) lastRecord.end());
        LogFiles.appendBytes(file, copy);
        String warnings = LogFiles.stderrOf(() -> {
            try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
                assertThat(replay(wal, 0)).isEqualTo(entries(1, RECORDS));
            }
        });
        assertThat(LogFiles.size(file)).isEqualTo(bytes.length);
        assertThat(warnings).contains("dropped never-forced tail of " + file, copy.length + " byte(s)",
                "index " + RECORDS + " where " + (RECORDS + 1) + " was expected");
    }

    @Test
    void aFreshSegmentWhoseHeaderNeverLandedIsCutToNothing() {
        // A roll forces the old segment and the new file's directory entry, not the new file's header.
        Path file = last();
        long first = RecordFormat.firstIndexOf(file);
        Place firstRecord = places(file).get(0);
        LogFiles.truncate(file, firstRecord.end()); // only the first record, whose watermark is first - 1
        LogFiles.write(file, 0, new byte[LogFiles.SEGMENT_HEADER]);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(wal.lastIndex()).isEqualTo(first - 1);
            assertThat(replay(wal, 0)).isEqualTo(entries(1, first - 1));
            assertThat(wal.append(payload(first))).isEqualTo(first);
        }
        assertThat(places(file)).hasSize(1);
    }

    @Test
    void damageInASegmentThatIsNotTheLastIsRefused() {
        Path first = segments(dir).get(0);
        List<Place> places = places(first);
        Place tail = places.get(places.size() - 1);
        LogFiles.flipByte(first, tail.end() - 1); // would be a torn tail if this were the last segment
        assertRefused(first, tail.offset(), "not the last one");
    }

    @Test
    void aCutInsideASegmentThatIsNotTheLastIsRefused() {
        Path first = segments(dir).get(0);
        List<Place> places = places(first);
        Place tail = places.get(places.size() - 1);
        LogFiles.truncate(first, tail.offset() + 5);
        assertRefused(first, tail.offset(), "not the last one");
    }

    @Test
    void aWholeRecordMissingAtTheEndOfAnEarlierSegmentIsAGap() {
        Path first = segments(dir).get(0);
        List<Place> places = places(first);
        LogFiles.truncate(first, places.get(places.size() - 1).offset());
        Path second = segments(dir).get(1);
        assertRefusedWith("gap", second.getFileName().toString(), first.getFileName().toString());
    }

    @Test
    void aMissingMiddleSegmentIsAGap() throws Exception {
        Path missing = segments(dir).get(1);
        Path after = segments(dir).get(2);
        Files.delete(missing);
        assertRefusedWith("gap", after.getFileName().toString(), "missing");
    }

    private void assertRefused(Path file, long offset, String... problem) {
        List<String> fragments = new ArrayList<>(List.of(file.toString(), "offset " + offset));
        fragments.addAll(List.of(problem));
        assertRefusedWith(fragments.toArray(String[]::new));
    }

    /** Open must throw, leave every file as it was, and not keep the directory locked. */
    private void assertRefusedWith(String... fragments) {
        List<Path> before = segments(dir);
        List<Long> sizes = before.stream().map(LogFiles::size).toList();
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> WriteAheadLog.open(dir, SEGMENT))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContainingAll(fragments)
                    .hasMessageNotContaining("\n");
        }
        assertThat(segments(dir)).isEqualTo(before);
        assertThat(before.stream().map(LogFiles::size).toList()).isEqualTo(sizes);
    }
}
