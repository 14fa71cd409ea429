package lamportkv.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import org.tinylog.Logger;

/** File-system helpers shared by the log and the snapshot store. */
final class Directories {
    private static final AtomicBoolean warnedDirectoryForce = new AtomicBoolean();

    private Directories() {}

    /**
     * Creates dir and its parents if missing, forcing the parent of each one created: records forced
     * into a file are lost anyway if the directory holding the file disappears in a power loss.
     */
    static void create(Path dir) {
        Path absolute = dir.toAbsolutePath();
        Path firstMissing = null;
        for (Path p = absolute; p != null && !Files.exists(p); p = p.getParent()) {
            firstMissing = p;
        }
        if (firstMissing == null) {
            return;
        }
        try {
            Files.createDirectories(absolute);
        } catch (IOException e) {
            throw StorageException.io("create directory", dir, e, "check the path and its permissions");
        }
        for (Path p = absolute; p.startsWith(firstMissing); p = p.getParent()) {
            force(p.getParent());
        }
    }

    /**
     * Forces dir itself, so that file creations, renames and deletions in it survive a power loss
     * (forcing a file does not force its directory entry). Some platforms cannot open or force a
     * directory; that is logged once and ignored because there is nothing better to do there.
     */
    static void force(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (warnedDirectoryForce.compareAndSet(false, true)) {
                Logger.tag("storage").warn("cannot force directory {} ({}); file creations and deletions may not "
                        + "survive a power loss on this file system", dir, StorageException.describe(e));
            }
        }
    }

    /** Reads exactly dst.remaining() bytes at position, or fewer only at end of file; returns the count read. */
    static int readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** Writes all of src; a channel may write less than asked in one call. */
    static void writeFully(FileChannel channel, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            channel.write(src);
        }
    }
}
