package lamportkv.storage;

import static lamportkv.storage.LogFiles.entries;
import static lamportkv.storage.LogFiles.payload;
import static lamportkv.storage.LogFiles.replay;
import static lamportkv.storage.LogFiles.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import lamportkv.storage.LogFiles.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteAheadLogTest {
    /** 34-byte payloads make 58-byte records: exactly four fit in a 240-byte segment (with its 8-byte header). */
    private static final int RECORD = LogFiles.RECORD_HEADER + 34;
    private static final long SEGMENT = LogFiles.SEGMENT_HEADER + 4 * RECORD;

    @TempDir
    Path dir;

    private static byte[] fixed(long index) {
        return String.format("fixed-size record number %09d", index).getBytes();
    }

    @Test
    void appendsForceCloseReopenAndReplayAcrossSegments() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            assertThat(wal.lastIndex()).isZero();
            for (long i = 1; i <= 100; i++) {
                assertThat(wal.append(payload(i))).isEqualTo(i);
            }
            wal.force();
            assertThat(wal.segmentCount()).isGreaterThan(5);
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 100));
        }
        assertThat(segments(dir)).hasSizeGreaterThan(5);
        assertThat(segments(dir).get(0).getFileName().toString()).isEqualTo("wal-00000000000000000001.log");

        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            assertThat(wal.lastIndex()).isEqualTo(100);
            assertThat(wal.firstIndex()).isEqualTo(1);
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 100));
            assertThat(wal.append(payload(101))).isEqualTo(101);
            assertThat(wal.append(payload(102))).isEqualTo(102);
            // close() forces
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 102));
        }
    }

    @Test
    void segmentsNeverGrowPastTheLimitAndNamesCarryTheFirstIndex() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            for (long i = 1; i <= 10; i++) {
                wal.append(fixed(i));
            }
            assertThat(wal.sizeBytes()).isEqualTo(3 * LogFiles.SEGMENT_HEADER + 10 * RECORD);
        }
        assertThat(segments(dir)).extracting(p -> p.getFileName().toString()).containsExactly(
                "wal-00000000000000000001.log", "wal-00000000000000000005.log", "wal-00000000000000000009.log");
        assertThat(segments(dir)).extracting(LogFiles::size).containsExactly(SEGMENT, SEGMENT,
                LogFiles.SEGMENT_HEADER + 2L * RECORD);
    }

    @Test
    void replayAfterIndexSkipsEarlierRecords() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            for (long i = 1; i <= 60; i++) {
                wal.append(payload(i));
            }
            // Replay sees appended records even before force: it reads what was handed to the OS.
            assertThat(replay(wal, 57)).isEqualTo(entries(58, 60));
            assertThat(replay(wal, 60)).isEmpty();
            assertThat(replay(wal, 0)).hasSize(60);
        }
    }

    @Test
    void replayBeyondTheLastRecordIsRefused() {
        // A snapshot ahead of the log means records were lost; new appends would reuse covered indexes.
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            wal.append(payload(1));
            assertThatThrownBy(() -> replay(wal, 2)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("ends at index 1");
        }
    }

    @Test
    void largeRecordsRoundTripAndGetASegmentOfTheirOwn() {
        byte[] big = new byte[300_000]; // larger than the write buffer and the segment
        new Random(7).nextBytes(big);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1000)) {
            wal.append(payload(1));
            wal.append(big);
            wal.append(payload(3));
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1000)) {
            assertThat(replay(wal, 0)).containsExactly(new Entry(1, payload(1)), new Entry(2, big),
                    new Entry(3, payload(3)));
            assertThat(wal.segmentCount()).isEqualTo(3);
        }
    }

    @Test
    void emptyRecordsAreRecords() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            wal.append(new byte[0]);
            wal.append(new byte[0]);
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            assertThat(wal.lastIndex()).isEqualTo(2);
            assertThat(replay(wal, 0)).containsExactly(new Entry(1, new byte[0]), new Entry(2, new byte[0]));
        }
    }

    @Test
    void anEmptyLogReopensAndStartsAtOne() {
        Path nested = dir.resolve("data").resolve("wal");
        WriteAheadLog.open(nested, 256).close();
        try (WriteAheadLog wal = WriteAheadLog.open(nested, 256)) {
            assertThat(wal.lastIndex()).isZero();
            assertThat(wal.firstIndex()).isEqualTo(1);
            assertThat(wal.append(payload(1))).isEqualTo(1);
        }
    }

    @Test
    void deleteUpToDeletesOnlyFullyCoveredSegmentsAndIndexesContinue() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            for (long i = 1; i <= 20; i++) {
                wal.append(fixed(i));
            }
            wal.force();
            assertThat(wal.segmentCount()).isEqualTo(5); // 1-4, 5-8, 9-12, 13-16, 17-20

            wal.deleteUpTo(7); // 5-8 still holds 8
            assertThat(wal.firstIndex()).isEqualTo(5);
            assertThat(wal.segmentCount()).isEqualTo(4);
            assertThat(wal.sizeBytes()).isEqualTo(4 * SEGMENT);

            wal.deleteUpTo(8);
            assertThat(wal.firstIndex()).isEqualTo(9);

            wal.deleteUpTo(20); // the segment being written stays, even though it is fully covered
            assertThat(wal.firstIndex()).isEqualTo(17);
            assertThat(wal.segmentCount()).isEqualTo(1);
            assertThat(segments(dir)).extracting(p -> p.getFileName().toString())
                    .containsExactly("wal-00000000000000000017.log");
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(wal.firstIndex()).isEqualTo(17);
            assertThat(wal.lastIndex()).isEqualTo(20);
            assertThat(replay(wal, 16)).extracting(Entry::index).containsExactly(17L, 18L, 19L, 20L);
            assertThatThrownBy(() -> replay(wal, 10)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("records up to index 16 were deleted");
            assertThat(wal.append(fixed(21))).isEqualTo(21); // rolls: 17-20 is full
            assertThat(wal.segmentCount()).isEqualTo(2);
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(replay(wal, 16)).extracting(Entry::index).containsExactly(17L, 18L, 19L, 20L, 21L);
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            assertThatThrownBy(() -> WriteAheadLog.open(wal.directory(), 256)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("is locked");
        }
        WriteAheadLog.open(dir, 256).close(); // released on close
    }

    @Test
    void oversizedRecordsAreRejectedWithoutFailingTheLog() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            assertThatThrownBy(() -> wal.append(new byte[WriteAheadLog.MAX_RECORD_BYTES + 1]))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(wal.append(payload(1))).isEqualTo(1);
        }
    }

    @Test
    void forceCoversAnyNumberOfAppendsWithOneChannelForce() {
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, faults.opener())) {
            int before = faults.forces.get();
            for (long i = 1; i <= 1000; i++) {
                wal.append(payload(i));
            }
            wal.force();
            assertThat(faults.forces.get() - before).isEqualTo(1);
            wal.force(); // nothing new: no-op
            assertThat(faults.forces.get() - before).isEqualTo(1);
            wal.append(payload(1001));
            wal.force();
            assertThat(faults.forces.get() - before).isEqualTo(2);
            // What force() returned for is on disk, not only in our buffer.
            assertThat(LogFiles.size(segments(dir).get(0))).isEqualTo(wal.sizeBytes());
        }
    }

    @Test
    void theFirstForceAfterOpenForcesTheReplayedRecords() {
        // After kill -9 the records may sit only in the OS page cache: replayed, but not durable until forced.
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            wal.append(payload(1));
            wal.append(payload(2));
        }
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, faults.opener())) {
            assertThat(faults.forces.get()).as("open leaves the force to its owner").isZero();
            wal.force();
            assertThat(faults.forces.get()).isEqualTo(1);
            wal.force(); // now everything is known durable: no-op
            assertThat(faults.forces.get()).isEqualTo(1);
        }
    }

    @Test
    void aForceRightAfterOpeningAnEmptyLogHasNothingToForce() {
        WriteAheadLog.open(dir, 1 << 20).close();
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, faults.opener())) {
            wal.force();
            assertThat(faults.forces.get()).isZero();
        }
    }

    @Test
    void forcedIndexFollowsForcesAndRolls() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(wal.forcedIndex()).isZero();
            for (long i = 1; i <= 3; i++) {
                wal.append(fixed(i));
            }
            assertThat(wal.forcedIndex()).isZero();
            wal.force();
            assertThat(wal.forcedIndex()).isEqualTo(3);
            wal.append(fixed(4));
            assertThat(wal.forcedIndex()).isEqualTo(3);
            wal.append(fixed(5)); // rolls: the full segment 1-4 is forced first
            assertThat(wal.segmentCount()).isEqualTo(2);
            assertThat(wal.forcedIndex()).isEqualTo(4);
            wal.force();
            assertThat(wal.forcedIndex()).isEqualTo(5);
        }
    }

    @Test
    void forcedIndexAfterOpenIsWhatTheFilesProve() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            for (long i = 1; i <= 15; i++) {
                wal.append(payload(i));
                if (i == 10) {
                    wal.force();
                }
            }
            // close() forces 11-15 too, but no record on disk says so
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(wal.lastIndex()).isEqualTo(15);
            assertThat(wal.forcedIndex()).isEqualTo(10);
            wal.force();
            assertThat(wal.forcedIndex()).isEqualTo(15);
            wal.append(payload(16)); // carries watermark 15
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(wal.forcedIndex()).isEqualTo(15);
        }
    }

    @Test
    void forcedIndexAfterOpenCountsSealedSegmentsAsForced() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            for (long i = 1; i <= 10; i++) {
                wal.append(fixed(i)); // no force() at all: only the rolls at 5 and 9 force
            }
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT)) {
            assertThat(wal.lastIndex()).isEqualTo(10);
            assertThat(wal.forcedIndex()).isEqualTo(8);
        }
    }

    @Test
    void aFailedWriteFailsTheLogAndLaterAppendsAreRefused() {
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, faults.opener())) {
            wal.append(payload(1));
            wal.force();
            faults.failWrites = true;
            wal.append(payload(2)); // still in the buffer
            assertThatThrownBy(wal::force).isInstanceOf(StorageException.class)
                    .hasMessageContaining(FaultyChannel.DISK_FULL)
                    .hasMessageContaining("wal-00000000000000000001.log");
            assertThat(wal.isFailed()).isTrue();
            faults.failWrites = false; // even if the disk recovers, the log must not pretend
            assertThatThrownBy(() -> wal.append(payload(3))).isInstanceOf(StorageException.class)
                    .hasMessageStartingWith("log is failed: ").hasMessageContaining(FaultyChannel.DISK_FULL);
            assertThatThrownBy(wal::force).isInstanceOf(StorageException.class)
                    .hasMessageStartingWith("log is failed: ");
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(replay(wal, 0)).containsExactly(new Entry(1, payload(1)));
        }
    }

    @Test
    void zerosWrittenAheadAreCutAtARollAndAtOpenWithoutAWarning() {
        long prepare = 3 * RECORD;
        long segment = SEGMENT + 30;        // four records, and zeros after them at the roll
        StringBuilder info = new StringBuilder();
        String warnings = LogFiles.stderrOf(() -> info.append(LogFiles.stdoutOf(() -> {
            try (WriteAheadLog wal = WriteAheadLog.open(dir, segment, prepare)) {
                wal.append(fixed(1));
                wal.force();
                Path first = segments(dir).get(0);
                assertThat(LogFiles.size(first)).as("zeros ahead of the record")
                        .isEqualTo(LogFiles.SEGMENT_HEADER + prepare);
                for (long i = 2; i <= 5; i++) {
                    wal.append(fixed(i));       // the fifth rolls
                }
                wal.force();
                assertThat(LogFiles.size(first)).as("sealed: its records only").isEqualTo(SEGMENT);
                assertThat(LogFiles.size(segments(dir).get(1))).isEqualTo(LogFiles.SEGMENT_HEADER + prepare);
            }
            try (WriteAheadLog wal = WriteAheadLog.open(dir, segment, prepare)) {
                assertThat(replay(wal, 0)).extracting(Entry::index).containsExactly(1L, 2L, 3L, 4L, 5L);
                assertThat(LogFiles.size(segments(dir).get(1))).as("the zeros cut at open")
                        .isEqualTo(LogFiles.SEGMENT_HEADER + RECORD);
                assertThat(wal.append(fixed(6))).isEqualTo(6);
            }
        })));
        assertThat(warnings).doesNotContain("WARN");
        assertThat(info.toString()).contains("cut " + (prepare - RECORD) + " zero byte(s) after the records of");
    }

    @Test
    void aLogThatCannotWriteZerosAheadSaysSoOnceAndGoesOnWithout() {
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        faults.failPositionalWrites = true;
        String warnings = LogFiles.stderrOf(() -> {
            try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, 4096, faults.opener())) {
                for (long i = 1; i <= 3; i++) {
                    wal.append(payload(i));
                    wal.force();
                }
                assertThat(wal.isFailed()).isFalse();
                assertThat(LogFiles.size(segments(dir).get(0))).as("records only").isEqualTo(wal.sizeBytes());
            }
        });
        assertThat(warnings.lines().filter(l -> l.contains("WARN"))).singleElement().asString()
                .contains("could not write zeros ahead", FaultyChannel.DISK_FULL);
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20)) {
            assertThat(replay(wal, 0)).isEqualTo(entries(1, 3));
        }
    }

    @Test
    void aWriteFailureInsideAppendFailsTheLog() {
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, faults.opener())) {
            faults.failWrites = true;
            assertThatThrownBy(() -> wal.append(new byte[200_000])) // does not fit the buffer: written at once
                    .isInstanceOf(StorageException.class).hasMessageContaining(FaultyChannel.DISK_FULL);
            assertThatThrownBy(() -> wal.append(payload(1))).hasMessageStartingWith("log is failed: ");
            assertThat(wal.lastIndex()).isZero();
        }
    }

    @Test
    void aFailedForceFailsTheLog() {
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, faults.opener());
        wal.append(payload(1));
        faults.failForces = true;
        assertThatThrownBy(wal::force).isInstanceOf(StorageException.class)
                .hasMessageContaining("cannot force").hasMessageContaining(FaultyChannel.DISK_FULL)
                .hasMessageContaining(dir.toString());
        assertThatThrownBy(() -> wal.append(payload(2))).hasMessageStartingWith("log is failed: ");
        wal.close(); // does not throw again: the failure was already reported
    }

    @Test
    void aFailureWhileRollingFailsTheLog() {
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, SEGMENT, faults.opener())) {
            for (long i = 1; i <= 4; i++) {
                wal.append(fixed(i));
            }
            faults.failForces = true; // the roll forces the full segment
            assertThatThrownBy(() -> wal.append(fixed(5))).isInstanceOf(StorageException.class)
                    .hasMessageContaining(FaultyChannel.DISK_FULL);
            assertThat(wal.isFailed()).isTrue();
        }
    }

    @Test
    void closeForcesAndIsIdempotent() {
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, faults.opener());
        int before = faults.forces.get();
        wal.append(payload(1));
        wal.close();
        wal.close();
        assertThat(faults.forces.get() - before).isEqualTo(1);
        assertThatThrownBy(() -> wal.append(payload(2))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void unrelatedFilesInTheDirectoryAreLeftAlone() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "hello");
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            wal.append(payload(1));
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 256)) {
            assertThat(wal.lastIndex()).isEqualTo(1);
        }
        assertThat(Files.readString(dir.resolve("notes.txt"))).isEqualTo("hello");
    }
}
