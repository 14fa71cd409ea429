package lamportkv.replica;

import java.util.function.Consumer;
import org.tinylog.TaggedLogger;

/**
 * Why a replica stopped accepting work, once it has: a disk that cannot take its log, or a bug.
 *
 * <p>A failed disk: the replica stays up, refuses every operation with a line that says what is
 * wrong and what to do, and sends nothing it could not make durable. A bug (an unexpected
 * exception on the event loop, in a link's thread, or a divergence alarm): the same, and then
 * the {@code onBug} handler ends the process with a non-zero status, so that its supervisor
 * restarts it and recovery from the log — which holds only whole rounds — takes over.
 * Thread-safe.
 */
final class FailStop {
    private final int self;
    private final TaggedLogger log;
    private final Consumer<String> onBug;
    private volatile String failure;
    private final java.util.List<Runnable> whenFailed = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** @param onBug called once, on a thread of its own, with the one-line reason, after the replica stopped for a bug */
    FailStop(int self, TaggedLogger log, Consumer<String> onBug) {
        this.self = self;
        this.log = log;
        this.onBug = onBug;
    }

    /** Runs {@code action} once, on a thread of its own, when the replica stops accepting work. */
    void whenFailed(Runnable action) {
        whenFailed.add(action);
    }

    /** Why the replica stopped accepting work, or null while it is healthy. */
    String failure() {
        return failure;
    }

    boolean failed() {
        return failure != null;
    }

    /** The disk failed: refuse work from now on ({@code why} names the file and says what to do). */
    void diskFailed(String why) {
        if (set("replica " + self + " stopped accepting work: " + why)) {
            log.error("{}", failure);
        }
    }

    /** A bug: refuse work, log the trace, and hand over to {@code onBug} (which ends the process). */
    void bug(String where, Throwable bug) {
        String line = "replica " + self + " stopped after a bug " + where + ": " + bug
                + "; it exits so that recovery from its log takes over (restart it)";
        if (set(line)) {
            log.error(bug, "{}", line);
            Thread handler = new Thread(() -> onBug.accept(line), "fail-stop");
            handler.setDaemon(false);
            handler.start();
        }
    }

    private synchronized boolean set(String why) {
        if (failure != null) {
            return false;
        }
        failure = why;
        Thread hooks = new Thread(() -> whenFailed.forEach(Runnable::run), "fail-stop-hooks");
        hooks.setDaemon(true);
        hooks.start();
        return true;
    }
}
