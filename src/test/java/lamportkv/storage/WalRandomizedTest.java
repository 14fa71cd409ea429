package lamportkv.storage;

import static lamportkv.storage.LogFiles.replay;
import static lamportkv.storage.LogFiles.segments;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import lamportkv.storage.LogFiles.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash can stop the last segment at any byte. Whatever the cut, reopening must keep every record
 * that ends before it, intact, keep nothing after it, and never throw.
 */
class WalRandomizedTest {
    private static final long SEED = 0x5EED_2024L;
    private static final int ROUNDS = 60;

    @TempDir
    Path root;

    @Test
    void aCutAnywhereInTheLastSegmentKeepsExactlyTheRecordsBeforeIt() throws IOException {
        Random seeds = new Random(SEED);
        for (int round = 0; round < ROUNDS; round++) {
            long seed = seeds.nextLong();
            Path dir = root.resolve("round-" + round);
            try {
                runRound(dir, new Random(seed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("round " + round + " failed; reproduce with seed " + seed, e);
            }
            deleteTree(dir);
        }
    }

    private static void runRound(Path dir, Random random) {
        long segmentBytes = 64 + random.nextInt(2000);
        int count = 1 + random.nextInt(200);
        List<Entry> written = new ArrayList<>();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, segmentBytes)) {
            for (int i = 0; i < count; i++) {
                byte[] payload = new byte[random.nextInt(300)];
                random.nextBytes(payload);
                written.add(new Entry(wal.append(payload), payload));
                if (random.nextInt(10) == 0) {
                    wal.force();
                }
            }
        }

        List<Path> files = segments(dir);
        Path last = files.get(files.size() - 1);
        long firstInLast = Long.parseLong(last.getFileName().toString().substring(4, 24));
        List<LogFiles.Place> places = LogFiles.places(last);
        long cut = random.nextLong(LogFiles.size(last) + 1);
        LogFiles.truncate(last, cut);
        int tail = random.nextInt(3);
        if (tail == 1) {
            LogFiles.appendBytes(last, new byte[random.nextInt(4096)]); // zeros where data never landed
        } else if (tail == 2) {
            byte[] garbage = new byte[random.nextInt(4096)];
            random.nextBytes(garbage);
            LogFiles.appendBytes(last, garbage);
        }

        long kept = firstInLast - 1 + places.stream().filter(p -> p.end() <= cut).count();
        try (WriteAheadLog wal = WriteAheadLog.open(dir, segmentBytes)) {
            assertThat(wal.lastIndex()).isEqualTo(kept);
            assertThat(replay(wal, 0)).isEqualTo(written.subList(0, (int) kept));
            assertThat(wal.append(new byte[] {42})).isEqualTo(kept + 1);
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, segmentBytes)) {
            assertThat(wal.lastIndex()).isEqualTo(kept + 1);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
