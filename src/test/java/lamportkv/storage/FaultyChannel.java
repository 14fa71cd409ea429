package lamportkv.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A FileChannel that delegates to a real one but can fail writes or forces like a full disk, or
 * like a process that is gone, and counts and reports forces.
 */
final class FaultyChannel extends FileChannel {
    static final String DISK_FULL = "No space left on device";
    static final String CRASHED = "simulated crash: this process is gone";

    /** Switches shared by every channel one opener hands out. */
    static final class Faults {
        volatile boolean failWrites;
        /** Only writes at a given position fail (the log writes its zeros ahead so, its records in sequence). */
        volatile boolean failPositionalWrites;
        volatile boolean failForces;
        /** Every write and force fails: closing a log then loses what it had not forced, as kill -9 would. */
        volatile boolean crashed;
        final AtomicInteger forces = new AtomicInteger();
        /** Forces succeed without calling the real force: for tests that model the disk themselves. */
        volatile boolean skipRealForces;
        /** Hears the path of every file a force completed on. */
        volatile Consumer<Path> onForce = path -> { };

        ChannelOpener opener() {
            return (Path path, OpenOption... options) -> new FaultyChannel(FileChannel.open(path, options), this,
                    path);
        }
    }

    private final FileChannel delegate;
    private final Faults faults;
    private final Path path;

    FaultyChannel(FileChannel delegate, Faults faults, Path path) {
        this.delegate = delegate;
        this.faults = faults;
        this.path = path;
    }

    private void checkWrite() throws IOException {
        if (faults.crashed) {
            throw new IOException(CRASHED);
        }
        if (faults.failWrites) {
            throw new IOException(DISK_FULL);
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        checkWrite();
        return delegate.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        checkWrite();
        return delegate.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        checkWrite();
        delegate.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (faults.crashed) {
            throw new IOException(CRASHED);
        }
        if (faults.failForces) {
            throw new IOException(DISK_FULL);
        }
        faults.forces.incrementAndGet();
        if (!faults.skipRealForces) {
            delegate.force(metaData);
        }
        faults.onForce.accept(path);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        checkWrite();
        return delegate.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        checkWrite();
        if (faults.failPositionalWrites) {
            throw new IOException(DISK_FULL);
        }
        return delegate.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
