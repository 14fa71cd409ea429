package lamportkv.client;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * A running watch ({@link LamportKv#watch}): a thread of its own that calls the consumer for each
 * change, once, in revision order, with no gap, across replica failures. {@link #close()} stops it.
 */
public final class Watch implements AutoCloseable {
    private final WatchCursor cursor;
    private final Thread thread;
    private volatile RuntimeException failure;
    private volatile boolean closed;

    private Watch(WatchCursor cursor, Consumer<Change> onChange) {
        this.cursor = cursor;
        this.thread = new Thread(() -> run(onChange), "lamportkv-watch");
        this.thread.setDaemon(true);
    }

    static Watch start(WatchCursor cursor, Consumer<Change> onChange) {
        Watch w = new Watch(cursor, onChange);
        w.thread.start();
        return w;
    }

    private void run(Consumer<Change> onChange) {
        try {
            while (!closed) {
                for (Change c : cursor.poll(LamportKv.pollMillis())) {
                    if (closed) {
                        return;
                    }
                    onChange.accept(c);
                }
            }
        } catch (InterruptedException e) {
            // closed
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    /** The revision the next change will be at, or after: where to resume a new watch from. */
    public long nextRevision() {
        return cursor.next();
    }

    /** Why the watch stopped on its own (the revision was no longer kept, the consumer threw), if it did. */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure);
    }

    /** Whether the watch is still delivering. */
    public boolean running() {
        return thread.isAlive();
    }

    /** Stops the watch; returns once its thread has ended (the consumer is not called after). */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
