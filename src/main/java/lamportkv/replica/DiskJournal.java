package lamportkv.replica;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.LongConsumer;
import lamportkv.storage.SnapshotStore;
import lamportkv.storage.WriteAheadLog;

/**
 * A replica's files under its data directory: the write-ahead log of its journal records and the
 * snapshots of its state. The log locks the directory, so two processes never write one log.
 *
 * <p>Records are appended during an event-loop round and made durable by one {@link #force()} at
 * its end, before any of the round's messages leave or any client is answered (group commit).
 */
final class DiskJournal implements AutoCloseable {
    /** Log segments roll at this size; old segments go once a snapshot covers them. */
    static final long SEGMENT_BYTES = 16L * 1024 * 1024;

    private final WriteAheadLog log;
    private final SnapshotStore snapshots;
    /** Who hears how long forces take (metrics). */
    private LongConsumer forceTimer = nanos -> { };

    private DiskJournal(WriteAheadLog log, SnapshotStore snapshots) {
        this.log = log;
        this.snapshots = snapshots;
    }

    /** Opens (creating) the files in {@code dir}; throws {@link lamportkv.storage.StorageException} naming the problem. */
    static DiskJournal open(Path dir) {
        return new DiskJournal(WriteAheadLog.open(dir.resolve("log"), SEGMENT_BYTES, WriteAheadLog.PREPARE_BYTES),
                new SnapshotStore(dir.resolve("snapshots")));
    }

    Optional<SnapshotStore.Snapshot> latestSnapshot() {
        return snapshots.loadLatest();
    }

    /** Every record after {@code afterIndex}, in order. */
    void replay(long afterIndex, WriteAheadLog.RecordConsumer consumer) {
        log.replay(afterIndex, consumer);
    }

    public void append(byte[] record) {
        log.append(record);
    }

    /**
     * Forces the log. The log knows what no force has covered yet — records appended since, or,
     * right after a restart, records read back that may exist only in the page cache — and a
     * force with nothing to cover is a no-op (except on a failed log, which throws).
     */
    public void force() {
        if (log.forcedIndex() == log.lastIndex()) {
            log.force();
            return;
        }
        long started = System.nanoTime();
        log.force();
        forceTimer.accept(System.nanoTime() - started);
    }

    /** Hears the duration of every force that had records to make durable, on the forcing thread. */
    void onForce(LongConsumer timer) {
        forceTimer = timer;
    }

    long logBytes() {
        return log.sizeBytes();
    }

    /**
     * Stores a snapshot covering every record so far, then drops the log segments it covers.
     * Call only right after {@link #force()}: the snapshot must never be ahead of the log.
     */
    void snapshot(byte[] state) {
        long index = log.lastIndex();
        snapshots.save(index, state);
        log.deleteUpTo(index);
    }

    @Override
    public void close() {
        log.close();
    }
}
