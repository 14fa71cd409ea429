package lamportkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import lamportkv.storage.SnapshotStore.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
    @TempDir
    Path dir;

    private static byte[] state(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path newestFile() throws IOException {
        List<String> names = files();
        return dir.resolve(names.get(names.size() - 1));
    }

    @Test
    void anEmptyDirectoryHasNoSnapshot() {
        assertThat(new SnapshotStore(dir.resolve("new")).loadLatest()).isEmpty();
    }

    @Test
    void savedStateLoadsBackInANewStore() {
        byte[] big = new byte[1_000_000];
        new Random(1).nextBytes(big);
        new SnapshotStore(dir).save(42, big);
        assertThat(new SnapshotStore(dir).loadLatest()).contains(new Snapshot(42, big));
    }

    @Test
    void anEmptyStateIsAValidSnapshot() {
        new SnapshotStore(dir).save(0, new byte[0]);
        assertThat(new SnapshotStore(dir).loadLatest()).contains(new Snapshot(0, new byte[0]));
    }

    @Test
    void theNewestWinsAndOlderOnesAreDeleted() throws IOException {
        SnapshotStore store = new SnapshotStore(dir);
        store.save(10, state("ten"));
        store.save(20, state("twenty"));
        store.save(300, state("three hundred"));
        assertThat(store.loadLatest()).contains(new Snapshot(300, state("three hundred")));
        assertThat(files()).containsExactly("snapshot-00000000000000000300.snap");
    }

    @Test
    void savingTheSameIndexAgainReplacesIt() {
        SnapshotStore store = new SnapshotStore(dir);
        store.save(10, state("first"));
        store.save(10, state("second"));
        assertThat(store.loadLatest()).contains(new Snapshot(10, state("second")));
    }

    @Test
    void savingAnOlderSnapshotThanTheStoredOneIsRefused() {
        SnapshotStore store = new SnapshotStore(dir);
        store.save(20, state("twenty"));
        assertThatThrownBy(() -> store.save(10, state("ten"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.loadLatest()).contains(new Snapshot(20, state("twenty")));
    }

    @Test
    void aDamagedNewestSnapshotIsRefusedNotReplacedByAnOlderOne() throws IOException {
        SnapshotStore store = new SnapshotStore(dir);
        store.save(10, state("ten"));
        store.save(20, state("twenty"));
        // An older snapshot can be left behind by a crash before its deletion.
        Files.write(dir.resolve("snapshot-00000000000000000010.snap"),
                Files.readAllBytes(newestFile())); // content does not matter: it must not be used
        Path newest = dir.resolve("snapshot-00000000000000000020.snap");
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length - 1] ^= 1;
        Files.write(newest, bytes);
        assertThatThrownBy(store::loadLatest).isInstanceOf(StorageException.class)
                .hasMessageContainingAll(newest.toString(), "checksum mismatch").hasMessageNotContaining("\n");
    }

    @Test
    void aTruncatedNewestSnapshotIsRefused() throws IOException {
        new SnapshotStore(dir).save(5, state("some state"));
        Path file = newestFile();
        LogFiles.truncate(file, LogFiles.size(file) - 3);
        assertThatThrownBy(new SnapshotStore(dir)::loadLatest).isInstanceOf(StorageException.class)
                .hasMessageContainingAll(file.toString(), "payload bytes");
    }

    @Test
    void aFileThatIsNotASnapshotIsRefused() throws IOException {
        Path file = dir.resolve("snapshot-00000000000000000007.snap");
        Files.write(file, new byte[40]);
        assertThatThrownBy(new SnapshotStore(dir)::loadLatest).isInstanceOf(StorageException.class)
                .hasMessageContainingAll(file.toString(), "magic");
    }

    @Test
    void aSnapshotWhoseNameDisagreesWithItsContentIsRefused() throws IOException {
        new SnapshotStore(dir).save(5, state("five"));
        Files.move(newestFile(), dir.resolve("snapshot-00000000000000000009.snap"));
        assertThatThrownBy(new SnapshotStore(dir)::loadLatest).isInstanceOf(StorageException.class)
                .hasMessageContaining("name says 9");
    }

    @Test
    void aSnapshotOfAnotherFormatVersionIsRefusedAsSuch() throws IOException {
        new SnapshotStore(dir).save(5, state("five"));
        Path file = newestFile();
        LogFiles.write(file, 4, ByteBuffer.allocate(4).putInt(99).array());
        assertThatThrownBy(new SnapshotStore(dir)::loadLatest).isInstanceOf(StorageException.class)
                .hasMessageContaining("format version 99");
    }

    @Test
    void leftoverTempFilesAreIgnoredAndRemoved() throws IOException {
        SnapshotStore store = new SnapshotStore(dir);
        store.save(10, state("ten"));
        Files.write(dir.resolve("snapshot-00000000000000000020.snap.tmp"), state("half writ"));
        Files.writeString(dir.resolve("unrelated.tmp"), "not ours");
        assertThat(store.loadLatest()).contains(new Snapshot(10, state("ten")));
        assertThat(files()).containsExactly("snapshot-00000000000000000010.snap", "unrelated.tmp");
    }

    @Test
    void aFailedSaveKeepsThePreviousSnapshotAndLeavesNoTempFile() throws IOException {
        FaultyChannel.Faults faults = new FaultyChannel.Faults();
        SnapshotStore store = new SnapshotStore(dir, faults.opener());
        store.save(10, state("ten"));
        faults.failWrites = true;
        assertThatThrownBy(() -> store.save(20, state("twenty"))).isInstanceOf(StorageException.class)
                .hasMessageContainingAll(FaultyChannel.DISK_FULL, "snapshot-00000000000000000020.snap.tmp");
        faults.failWrites = false;
        faults.failForces = true;
        assertThatThrownBy(() -> store.save(20, state("twenty"))).isInstanceOf(StorageException.class)
                .hasMessageContaining(FaultyChannel.DISK_FULL);
        assertThat(files()).containsExactly("snapshot-00000000000000000010.snap");
        assertThat(store.loadLatest()).contains(new Snapshot(10, state("ten")));
    }

    @Test
    void theLogAndTheSnapshotsCanShareADirectory() {
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1024)) {
            wal.append(state("one"));
            wal.force();
            SnapshotStore store = new SnapshotStore(dir);
            store.save(1, state("state after one"));
            assertThat(store.loadLatest()).contains(new Snapshot(1, state("state after one")));
        }
        try (WriteAheadLog wal = WriteAheadLog.open(dir, 1024)) {
            assertThat(wal.lastIndex()).isEqualTo(1);
        }
    }
}
