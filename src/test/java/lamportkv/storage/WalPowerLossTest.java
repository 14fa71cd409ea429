package lamportkv.storage;

import static lamportkv.storage.LogFiles.entries;
import static lamportkv.storage.LogFiles.payload;
import static lamportkv.storage.LogFiles.places;
import static lamportkv.storage.LogFiles.replay;
import static lamportkv.storage.LogFiles.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import lamportkv.storage.LogFiles.Place;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a power loss the never-forced tail may reach the disk torn and out of order: a later
 * record's page written, an earlier one's not. Cutting it is safe, nothing in it was promised;
 * damage inside what was forced is refused.
 */
class WalPowerLossTest {
    private static final long SEGMENT = 1 << 20;
    private static final int RECORDS = 20;

    @TempDir
    Path dir;

    /** Records 1..RECORDS in one segment, force() after each index in forceAfter. */
    private Path write(Integer... forceAfter) {
        Set<Integer> forces = Set.of(forceAfter);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            for (int i = 1; i <= RECORDS; i++) {
                wal.append(payload(i));
                if (forces.contains(i)) {
                    wal.force();
                }
            }
        } // close() forces the rest, but no record on disk says so: to recovery they are never forced
        List<Path> files = segments(dir);
        assertThat(files).hasSize(1);
        return files.get(0);
    }

    private static Place record(Path file, int index) {
        return places(file).get(index - 1);
    }

    @Test
    void aNeverForcedTailWithAnEarlierPageLostAndALaterOneWrittenIsCut() {
        Path file = write(10);
        Place lost = record(file, 13);
        long size = LogFiles.size(file);
        // Records 13 and 14 never landed (zeros); 15..20 did. All of 11..20 say only 10 was forced.
        LogFiles.write(file, lost.offset(), new byte[(int) (record(file, 15).offset() - lost.offset())]);
        String warnings = LogFiles.stderrOf(() -> {
            try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
                assertThat(wal.lastIndex()).isEqualTo(12);
                assertThat(replay(wal, 0)).isEqualTo(entries(1, 12));
                assertThat(wal.forcedIndex()).as("the cut was forced").isEqualTo(12);
                assertThat(wal.append(payload(13))).isEqualTo(13);
            }
        });
        assertThat(warnings.lines().filter(l -> l.contains("WARN"))).singleElement().asString().contains(
                "dropped never-forced tail of " + file,
                (size - lost.offset()) + " byte(s) from offset " + lost.offset(),
                "crash or power loss", "say only records up to 10 were forced", "records up to index 12 are kept");
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 13));
        }
    }

    @Test
    void aNeverForcedTailWithGarbageBeforeValidRecordsIsCut() {
        Path file = write(10);
        Place torn = record(file, 11);
        byte[] garbage = new byte[(int) (record(file, 14).offset() - torn.offset() + 9)]; // into record 14
        new Random(11).nextBytes(garbage);
        LogFiles.write(file, torn.offset(), garbage);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 10));
        }
        assertThat(LogFiles.size(file)).isEqualTo(torn.offset());
    }

    @Test
    void aZeroFilledNeverForcedTailIsCut() {
        // The file system extended the file, but the data of 13 onwards never landed: zeros, longer than it was.
        Path file = write(10);
        Place lost = record(file, 13);
        long size = LogFiles.size(file);
        LogFiles.write(file, lost.offset() + 5, new byte[(int) (size - lost.offset() - 5)]);
        LogFiles.appendBytes(file, new byte[4096]);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 12));
        }
        assertThat(LogFiles.size(file)).isEqualTo(lost.offset());
    }

    @Test
    void aBadRecordInsideForcedDataIsRefused() throws Exception {
        Path file = write(10, 15);
        Place bad = record(file, 5);
        Place witness = record(file, 16); // the first record appended after the force of 15
        LogFiles.flipByte(file, bad.end() - 1);
        assertRefused(file, "at offset " + bad.offset() + ": checksum mismatch (record 5 expected), but record 16 "
                + "(offset " + witness.offset() + ") says records up to 15 were forced; refusing to start with less "
                + "data");
    }

    @Test
    void aBadRecordBetweenTwoForcesIsRefused() throws Exception {
        // 12 was forced by the force after 15, which only records 16..20 can tell.
        Path file = write(10, 15);
        Place bad = record(file, 12);
        LogFiles.write(file, bad.offset(), new byte[LogFiles.RECORD_HEADER]);
        assertRefused(file, "at offset " + bad.offset(), "(record 12 expected)", "says records up to 15 were forced");
    }

    @Test
    void aBadRecordAfterTheLastProvenForceIsCutEvenWithValidRecordsAfterIt() {
        Path file = write(10, 15);
        Place bad = record(file, 17);
        LogFiles.flipByte(file, bad.end() - 1);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 16));
        }
        assertThat(LogFiles.size(file)).isEqualTo(bad.offset());
    }

    private void assertRefused(Path file, String... fragments) throws Exception {
        byte[] before = Files.readAllBytes(file);
        assertThatThrownBy(() -> WriteAheadLog.open(dir, SEGMENT)).isInstanceOf(StorageException.class)
                .hasMessageContaining("damaged write-ahead log segment " + file)
                .hasMessageContainingAll(fragments).hasMessageNotContaining("\n");
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }
}
