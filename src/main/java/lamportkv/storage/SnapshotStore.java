package lamportkv.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.tinylog.Logger;
import org.tinylog.TaggedLogger;

/**
 * Snapshots of the replicated state in one directory: each written atomically, only the newest
 * kept and loaded.
 *
 * <p>File {@code snapshot-<log index, 20 digits>.snap}: {@code [int magic][int version][long logIndex]
 * [int length][int CRC32C of the preceding 20 bytes and the payload][payload]}, big-endian. A snapshot
 * is written to a {@code .tmp} file, forced, renamed into place and the directory forced, so a crash
 * leaves either the old or the new snapshot, never half of one.
 *
 * <p>Not thread-safe: one owner thread.
 */
public final class SnapshotStore {
    private static final int MAGIC = 0x4C4B5653; // "LKVS"
    private static final int VERSION = 1;
    private static final int HEADER_BYTES = 24;
    private static final int CHUNK_BYTES = 256 << 10;
    private static final Pattern NAME = Pattern.compile("snapshot-(\\d{20})\\.snap");
    private static final Pattern TEMP_NAME = Pattern.compile("snapshot-\\d{20}\\.snap\\.tmp");
    private static final TaggedLogger log = Logger.tag("storage");

    /**
     * A snapshot: the state after applying log records 1..logIndex. The array is not copied; equality
     * compares contents.
     */
    public record Snapshot(long logIndex, byte[] state) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Snapshot s && s.logIndex == logIndex && Arrays.equals(s.state, state);
        }

        @Override
        public int hashCode() {
            return 31 * Long.hashCode(logIndex) + Arrays.hashCode(state);
        }

        @Override
        public String toString() {
            return "Snapshot[logIndex=" + logIndex + ", " + state.length + " bytes]";
        }
    }

    private record Stored(Path path, long logIndex) {}

    private final Path dir;
    private final ChannelOpener opener;

    /** Uses dir, creating it if needed. It may be the log's directory: the file names do not collide. */
    public SnapshotStore(Path dir) {
        this(dir, ChannelOpener.DEFAULT);
    }

    /** As {@link #SnapshotStore(Path)}, with files opened through opener (tests inject faults). */
    SnapshotStore(Path dir, ChannelOpener opener) {
        this.dir = dir;
        this.opener = opener;
        Directories.create(dir);
    }

    /**
     * Durably stores state as the snapshot covering log records up to logIndex, then deletes older
     * snapshots. Save only after the log records up to logIndex are forced: otherwise a crash can
     * leave a snapshot ahead of the log. On failure the previous snapshot is still in place.
     *
     * @throws IllegalArgumentException if a newer snapshot exists (the caller lost track of its state)
     */
    public void save(long logIndex, byte[] state) {
        if (logIndex < 0) {
            throw new IllegalArgumentException("logIndex must not be negative, not " + logIndex);
        }
        List<Stored> existing = list();
        if (!existing.isEmpty() && existing.get(existing.size() - 1).logIndex() > logIndex) {
            throw new IllegalArgumentException("snapshot at index " + logIndex + " is older than the stored "
                    + existing.get(existing.size() - 1).path());
        }
        Path target = dir.resolve(String.format("snapshot-%020d.snap", logIndex));
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        writeTemp(temp, logIndex, state);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw StorageException.io("rename snapshot to", target, e, "the previous snapshot is still in place; "
                    + "check the disk");
        }
        Directories.force(dir); // the rename is durable only once the directory is
        deleteOlder(existing, logIndex);
    }

    private void writeTemp(Path temp, long logIndex, byte[] state) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES)
                .putInt(MAGIC).putInt(VERSION).putLong(logIndex).putInt(state.length);
        header.putInt(checksum(header.array(), state)).flip();
        try (FileChannel out = opener.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            Directories.writeFully(out, header);
            // In chunks: one huge heap buffer would make the JDK keep an equally huge direct buffer.
            for (int off = 0; off < state.length; off += CHUNK_BYTES) {
                Directories.writeFully(out, ByteBuffer.wrap(state, off, Math.min(CHUNK_BYTES, state.length - off)));
            }
            out.force(false);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw StorageException.io("write snapshot", temp, e, "the previous snapshot is still in place; free "
                    + "space or fix the disk, then retry");
        }
    }

    private void deleteOlder(List<Stored> existing, long logIndex) {
        boolean deleted = false;
        for (Stored old : existing) {
            if (old.logIndex() < logIndex) {
                deleted |= deleteQuietly(old.path());
            }
        }
        if (deleted) {
            Directories.force(dir);
        }
    }

    /**
     * The newest snapshot, or empty if there is none. Deletes leftover temp files of interrupted
     * saves. A damaged newest snapshot throws rather than falling back to an older one: the log
     * records between the two may already be deleted, so the older one cannot be trusted to pair
     * with the remaining log.
     */
    public Optional<Snapshot> loadLatest() {
        removeTemps();
        List<Stored> stored = list();
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        Stored newest = stored.get(stored.size() - 1);
        Snapshot snapshot = read(newest);
        log.info("loaded snapshot {} ({} bytes)", newest.path(), snapshot.state().length);
        return Optional.of(snapshot);
    }

    private Snapshot read(Stored stored) {
        Path path = stored.path();
        byte[] bytes;
        try (FileChannel in = opener.open(path, StandardOpenOption.READ)) {
            long size = in.size();
            if (size < HEADER_BYTES || size > Integer.MAX_VALUE - 8) {
                throw damaged(path, "file size " + size + " is impossible");
            }
            ByteBuffer all = ByteBuffer.allocate((int) size);
            if (Directories.readFully(in, all, 0) != size) {
                throw damaged(path, "file shrank while being read");
            }
            bytes = all.array();
        } catch (IOException e) {
            throw StorageException.io("read snapshot", path, e, "check the disk");
        }
        return decode(stored, bytes);
    }

    private Snapshot decode(Stored stored, byte[] bytes) {
        Path path = stored.path();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt(0) != MAGIC) {
            throw damaged(path, "not a snapshot file (bad magic number)");
        }
        if (b.getInt(4) != VERSION) {
            throw new StorageException("snapshot " + path + " has format version " + b.getInt(4) + " but this build "
                    + "reads version " + VERSION + ": run the build that wrote it");
        }
        long logIndex = b.getLong(8);
        int length = b.getInt(16);
        if (length != bytes.length - HEADER_BYTES) {
            throw damaged(path, "header says " + length + " payload bytes but the file holds "
                    + (bytes.length - HEADER_BYTES));
        }
        byte[] state = Arrays.copyOfRange(bytes, HEADER_BYTES, bytes.length);
        if (checksum(Arrays.copyOf(bytes, HEADER_BYTES), state) != b.getInt(20)) {
            throw damaged(path, "checksum mismatch");
        }
        if (logIndex != stored.logIndex()) {
            throw damaged(path, "it holds log index " + logIndex + " but its name says " + stored.logIndex());
        }
        return new Snapshot(logIndex, state);
    }

    private StorageException damaged(Path path, String problem) {
        return new StorageException("damaged snapshot " + path + ": " + problem + "; an older snapshot may not pair "
                + "with the remaining log, so none was loaded: restore " + dir + " from backup or rebuild this "
                + "replica from a healthy one");
    }

    /** CRC32C of the first 20 header bytes (everything before the checksum field) and the payload. */
    private static int checksum(byte[] header, byte[] state) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, HEADER_BYTES - Integer.BYTES);
        crc.update(state);
        return (int) crc.getValue();
    }

    /** Snapshot files, oldest first. */
    private List<Stored> list() {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(SnapshotStore::stored).flatMap(Optional::stream)
                    .sorted(Comparator.comparingLong(Stored::logIndex)).toList();
        } catch (IOException e) {
            throw StorageException.io("list", dir, e, "check the directory and its permissions");
        }
    }

    private static Optional<Stored> stored(Path path) {
        Matcher m = NAME.matcher(path.getFileName().toString());
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Stored(path, Long.parseLong(m.group(1))));
        } catch (NumberFormatException e) {
            return Optional.empty(); // 20 digits beyond a long: not ours
        }
    }

    private void removeTemps() {
        List<Path> temps;
        try (Stream<Path> entries = Files.list(dir)) {
            temps = entries.filter(p -> TEMP_NAME.matcher(p.getFileName().toString()).matches()).toList();
        } catch (IOException e) {
            throw StorageException.io("list", dir, e, "check the directory and its permissions");
        }
        boolean deleted = false;
        for (Path temp : temps) {
            log.info("deleting {}, left over from an interrupted snapshot save", temp);
            deleted |= deleteQuietly(temp);
        }
        if (deleted) {
            Directories.force(dir);
        }
    }

    /** Deletes path; failure is only logged because a stray old or temp file does no harm. */
    private static boolean deleteQuietly(Path path) {
        try {
            return Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}; delete it by hand", path, StorageException.describe(e));
            return false;
        }
    }
}
