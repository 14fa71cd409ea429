package lamportkv.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a lock file in a directory, held while a log is open. Two writers on one log
 * would interleave records and destroy it, e.g. two replicas configured with the same directory.
 */
final class DirectoryLock implements AutoCloseable {
    private final FileChannel channel;

    private DirectoryLock(FileChannel channel) {
        this.channel = channel;
    }

    static DirectoryLock acquire(Path dir, String fileName) {
        Path path = dir.resolve(fileName);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw StorageException.io("open lock file", path, e, "check the directory's permissions");
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process
        } catch (IOException e) {
            closeQuietly(channel);
            throw StorageException.io("lock", path, e, "check the directory's permissions");
        }
        if (lock == null) {
            closeQuietly(channel);
            throw new StorageException(path + " is locked: another process (or another open log in this process) "
                    + "uses " + dir + "; stop it or give each replica its own data directory");
        }
        return new DirectoryLock(channel);
    }

    /** Releases the lock (closing the channel releases it). */
    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing was written through this channel; closing it only releases the lock.
        }
    }
}
