package lamportkv.storage;

import static lamportkv.storage.LogFiles.replay;
import static lamportkv.storage.LogFiles.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import lamportkv.storage.LogFiles.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A crash can stop the last segment at any byte. Whatever the cut, reopening must keep every record
 * that ends before it, intact, keep nothing after it, and never throw. A power loss keeps only what
 * was forced, and of the rest any pages in any order: reopening must never throw and must keep a
 * prefix of the records that includes every one the log said was forced.
 */
class WalRandomizedTest {
    private static final long SEED = 0x5EED_2024L;
    private static final int ROUNDS = 60;
    private static final int POWER_LOSS_ROUNDS = 80;
    private static final int PAGE = 4096;

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

    @Test
    void aCutAnywhereInALogThatWritesZerosAheadKeepsExactlyTheRecordsBeforeIt() throws IOException {
        Random seeds = new Random(SEED + 2);
        for (int round = 0; round < ROUNDS; round++) {
            long seed = seeds.nextLong();
            Path dir = root.resolve("prepared-" + round);
            try {
                Random random = new Random(seed);
                runRound(dir, random, 1 + random.nextInt(1500));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("round " + round + " failed; reproduce with seed " + seed, e);
            }
            deleteTree(dir);
        }
    }

    /**
     * Each bug of writing zeros ahead that was once made, put back: the models above must catch it,
     * by one of their checks or by the log refusing to open what the bug left (a sealed segment
     * that does not end with its last record, a record garbled by a zero).
     */
    @ParameterizedTest
    @EnumSource(WriteAheadLog.Flaw.class)
    void theCutModelCatchesEachBugOfWritingZerosAhead(WriteAheadLog.Flaw flaw) {
        Random seeds = new Random(SEED + 2);
        assertThatThrownBy(() -> {
            for (int round = 0; round < ROUNDS; round++) {
                Random random = new Random(seeds.nextLong());
                Path dir = root.resolve(flaw + "-" + round);
                LogFiles.stderrOf(() -> runRound(dir, random, 1 + random.nextInt(1500), flaw));
                deleteTree(dir);
            }
        }).as("%s caught", flaw).isInstanceOfAny(AssertionError.class, StorageException.class);
    }

    @ParameterizedTest
    @EnumSource(WriteAheadLog.Flaw.class)
    void thePowerLossModelCatchesEachBugOfWritingZerosAhead(WriteAheadLog.Flaw flaw) {
        Random seeds = new Random(SEED + 3);
        assertThatThrownBy(() -> LogFiles.stderrOf(() -> LogFiles.stdoutOf(() -> {
            for (int round = 0; round < POWER_LOSS_ROUNDS; round++) {
                Random random = new Random(seeds.nextLong());
                Path dir = root.resolve(flaw + "-power-" + round);
                try {
                    runLives(dir, random, 1 + random.nextInt(3 * PAGE), flaw);
                    deleteTree(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }))).as("%s caught", flaw).isInstanceOfAny(AssertionError.class, StorageException.class);
    }

    private static void runRound(Path dir, Random random) {
        runRound(dir, random, 0);
    }

    private static void runRound(Path dir, Random random, long prepareBytes) {
        runRound(dir, random, prepareBytes, null);
    }

    /** One round of the cut model, with {@code flaw} (if not null) put back into the log that writes the records. */
    private static void runRound(Path dir, Random random, long prepareBytes, WriteAheadLog.Flaw flaw) {
        long segmentBytes = 64 + random.nextInt(2000);
        int count = 1 + random.nextInt(200);
        List<Entry> written = new ArrayList<>();
        long recordsEnd;
        try (WriteAheadLog wal = WriteAheadLog.open(dir, segmentBytes, prepareBytes)) {
            if (flaw != null) {
                wal.putBack(flaw);
            }
            for (int i = 0; i < count; i++) {
                byte[] payload = new byte[random.nextInt(300)];
                random.nextBytes(payload);
                written.add(new Entry(wal.append(payload), payload));
                if (random.nextInt(10) == 0) {
                    wal.force();
                }
            }
            List<Path> before = segments(dir);
            recordsEnd = wal.sizeBytes() - before.subList(0, before.size() - 1).stream().mapToLong(LogFiles::size).sum();
        }

        List<Path> files = segments(dir);
        for (Path sealed : files.subList(0, files.size() - 1)) {
            assertThat(LogFiles.places(sealed).stream().mapToLong(LogFiles.Place::end).max().orElse(LogFiles.SEGMENT_HEADER))
                    .as("a sealed segment ends with its last record").isEqualTo(LogFiles.size(sealed));
        }
        Path last = files.get(files.size() - 1);
        long firstInLast = Long.parseLong(last.getFileName().toString().substring(4, 24));
        byte[] ahead = Arrays.copyOfRange(Disk.read(last), (int) recordsEnd, (int) LogFiles.size(last));
        assertThat(ahead).as("after the records only zeros").isEqualTo(new byte[ahead.length]);
        if (prepareBytes == 0) {
            assertThat(ahead).isEmpty();
        }
        List<LogFiles.Place> places = LogFiles.places(last).stream().filter(p -> p.end() <= recordsEnd).toList();
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
        try (WriteAheadLog wal = WriteAheadLog.open(dir, segmentBytes, prepareBytes)) {
            assertThat(wal.lastIndex()).isEqualTo(kept);
            assertThat(replay(wal, 0)).isEqualTo(written.subList(0, (int) kept));
            assertThat(wal.append(new byte[] {42})).isEqualTo(kept + 1);
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, segmentBytes, prepareBytes)) {
            assertThat(wal.lastIndex()).isEqualTo(kept + 1);
        }
    }

    @Test
    void afterAPowerLossALogThatWritesZerosAheadOpensWithAPrefixThatKeepsEveryForcedRecord() {
        // Records written into zeros that an earlier force made durable overwrite durable bytes:
        // a power loss may keep each page of them, revert it to zeros, or leave garbage.
        Random seeds = new Random(SEED + 3);
        StringBuilder info = new StringBuilder();
        String warnings = LogFiles.stderrOf(() -> info.append(LogFiles.stdoutOf(() -> {
            for (int round = 0; round < POWER_LOSS_ROUNDS; round++) {
                long seed = seeds.nextLong();
                Path dir = root.resolve("prepared-power-" + round);
                try {
                    Random random = new Random(seed);
                    runLives(dir, random, 1 + random.nextInt(3 * PAGE));
                    deleteTree(dir);
                } catch (AssertionError | RuntimeException | IOException e) {
                    throw new AssertionError("power-loss round " + round + " failed; reproduce with seed " + seed, e);
                }
            }
        })));
        assertThat(warnings.contains("the valid records after it say only records up to"))
                .as("the model reached a never-forced tail cut although valid records followed it").isTrue();
        assertThat(info.toString().contains("zero byte(s) after the records"))
                .as("the model reached a tail of zeros written ahead").isTrue();
    }

    @Test
    void afterAPowerLossTheLogOpensWithAPrefixThatKeepsEveryForcedRecord() {
        Random seeds = new Random(SEED + 1);
        String warnings = LogFiles.stderrOf(() -> {
            for (int round = 0; round < POWER_LOSS_ROUNDS; round++) {
                long seed = seeds.nextLong();
                Path dir = root.resolve("power-" + round);
                try {
                    runLives(dir, new Random(seed), 0);
                    deleteTree(dir);
                } catch (AssertionError | RuntimeException | IOException e) {
                    throw new AssertionError("power-loss round " + round + " failed; reproduce with seed " + seed, e);
                }
            }
        });
        // The model must reach the cases that matter, or it proves nothing about them.
        assertThat(warnings.contains("the valid records after it say only records up to"))
                .as("the model reached a never-forced tail cut although valid records followed it").isTrue();
        assertThat(warnings.contains("no format-2 segment header"))
                .as("the model reached a segment whose header never landed").isTrue();
    }

    /**
     * A few lives of one log, each ended by kill -9 (what reached the OS stays) or a power loss (only
     * what was forced stays for sure). After each restart the owner forces before relying on what it
     * replayed, as the replica does, but not always at once.
     */
    private static void runLives(Path dir, Random random, long prepareBytes) throws IOException {
        runLives(dir, random, prepareBytes, null);
    }

    /** As above, with {@code flaw} (if not null) put back into every life's log. */
    private static void runLives(Path dir, Random random, long prepareBytes, WriteAheadLog.Flaw flaw) throws IOException {
        long segmentBytes = 64 + random.nextInt(List.of(2000, 20_000, 200_000).get(random.nextInt(3)));
        int forceOneIn = 2 + random.nextInt(40);
        Disk disk = new Disk();
        List<Entry> written = new ArrayList<>();
        long promised = 0; // what the log said was forced (forcedIndex(), or lastIndex() when force() returned)
        int lives = 1 + random.nextInt(4);
        for (int life = 0; life < lives; life++) {
            disk.faults.crashed = false;
            WriteAheadLog wal = WriteAheadLog.open(dir, segmentBytes, prepareBytes, disk.opener());
            if (flaw != null) {
                wal.putBack(flaw);
            }
            assertThat(wal.lastIndex()).as("life %d keeps every forced record", life).isGreaterThanOrEqualTo(promised)
                    .isLessThanOrEqualTo(written.size());
            assertThat(wal.forcedIndex()).isLessThanOrEqualTo(wal.lastIndex());
            written = new ArrayList<>(written.subList(0, (int) wal.lastIndex()));
            assertThat(replay(wal, 0)).isEqualTo(written);
            promised = Math.max(promised, wal.forcedIndex());
            if (random.nextBoolean()) {
                // Restart forces first, before anything replayed leaves: a replica whose restart
                // resends what it replayed relies on this force alone, even if it crashes again at once.
                promised = force(wal);
            }
            int count = random.nextInt(4) == 0 ? 0 : random.nextInt(150);
            for (int i = 0; i < count; i++) {
                if (random.nextInt(forceOneIn) == 0) {
                    promised = force(wal);
                }
                byte[] payload = new byte[random.nextInt(10) == 0 ? random.nextInt(3 * PAGE) : random.nextInt(300)];
                random.nextBytes(payload);
                written.add(new Entry(wal.append(payload), payload));
                promised = Math.max(promised, wal.forcedIndex()); // a roll forces, too
            }
            if (random.nextInt(4) == 0) {
                promised = force(wal);
            } else if (random.nextBoolean()) {
                handToTheOs(wal);
            }
            promised = Math.max(promised, wal.forcedIndex());
            crash(wal, disk);
            if (random.nextBoolean()) {
                disk.losePower(dir, random);
            }
        }
        disk.faults.crashed = false;
        try (WriteAheadLog wal = WriteAheadLog.open(dir, segmentBytes, prepareBytes, disk.opener())) {
            assertThat(wal.lastIndex()).isGreaterThanOrEqualTo(promised).isLessThanOrEqualTo(written.size());
            assertThat(replay(wal, 0)).isEqualTo(written.subList(0, (int) wal.lastIndex()));
        }
    }

    /** Forces and returns what the owner may now rely on as durable: every record, whatever forcedIndex() says. */
    private static long force(WriteAheadLog wal) {
        wal.force();
        assertThat(wal.forcedIndex()).isEqualTo(wal.lastIndex());
        return wal.lastIndex();
    }

    /**
     * Hands the log's write buffer to the OS without forcing, as a full buffer does in the middle of
     * a round (replay reads files, so it writes the buffer out first). Otherwise a short history
     * would never leave never-forced records in the page cache, only in the buffer, which a crash loses.
     */
    private static void handToTheOs(WriteAheadLog wal) {
        wal.replay(wal.lastIndex(), (index, payload) -> { });
    }

    /** Ends the log as kill -9 would: nothing more reaches the disk, records still in its buffer are lost. */
    private static void crash(WriteAheadLog wal, Disk disk) {
        disk.faults.crashed = true;
        try {
            wal.close();
        } catch (StorageException expected) {
            // the final force failed, as it must: the process is gone
        }
    }

    /**
     * Remembers, per segment file, what its last completed force made durable (the bytes then; a
     * file's creation is durable at once, as the log forces the directory after creating a segment;
     * the log forces after it truncates), and can lose every change since. The real forces are
     * skipped: this model, not the machine's disk, decides what survives.
     */
    private static final class Disk {
        final FaultyChannel.Faults faults = new FaultyChannel.Faults();
        final Map<Path, byte[]> durable = new HashMap<>();

        Disk() {
            faults.skipRealForces = true;
            faults.onForce = path -> durable.put(path, read(path));
        }

        ChannelOpener opener() {
            ChannelOpener faulty = faults.opener();
            return (path, options) -> {
                FileChannel channel = faulty.open(path, options);
                if (Arrays.asList(options).contains(StandardOpenOption.CREATE_NEW)) {
                    durable.put(path, new byte[0]);
                }
                return channel;
            };
        }

        /**
         * Every byte the last force made durable and nothing changed since stays. Of the bytes changed
         * since (appended, or written over the zeros a force made durable), each 4 KiB page
         * independently reached the disk, or did not (the durable bytes, zeros past them: the file
         * was extended but the data never landed), or reads as garbage; and the file may end
         * anywhere after its forced part.
         */
        void losePower(Path dir, Random random) {
            for (Path file : segments(dir)) {
                byte[] now = read(file);
                byte[] forced = durable.getOrDefault(file, now);
                assertThat(now.length).as("a forced byte is never taken back").isGreaterThanOrEqualTo(forced.length);
                byte[] after = now.clone();
                for (int page = 0; page < now.length; page += PAGE) {
                    int to = Math.min(page + PAGE, now.length);
                    int fate = random.nextInt(4);
                    for (int i = page; i < to; i++) {
                        boolean changed = i >= forced.length || now[i] != forced[i];
                        if (!changed || fate == 0 || fate == 3) {
                            continue;       // unchanged, or this page reached the disk
                        }
                        after[i] = fate == 1 ? (i < forced.length ? forced[i] : 0) : (byte) random.nextInt(256);
                    }
                }
                if (now.length > forced.length && random.nextInt(3) == 0) {
                    after = Arrays.copyOf(after, forced.length + random.nextInt(now.length - forced.length + 1));
                }
                write(file, after);
                durable.put(file, after.clone()); // after the reboot, what the disk holds is durable
            }
        }

        private static byte[] read(Path file) {
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void write(Path file, byte[] bytes) {
            try {
                Files.write(file, bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
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
