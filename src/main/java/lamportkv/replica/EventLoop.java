package lamportkv.replica;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.tinylog.Logger;

/**
 * The one thread that owns a replica's protocol state. Other threads (RMI handlers, clients)
 * never touch the state: they hand the loop a task and wait on a future.
 *
 * <p>The loop works in rounds: it takes every task that is waiting, runs them one after another,
 * then asks {@link RoundEnd#commit} once. The replica forces its log there and hands on the
 * round's messages, so one round's many events cost one disk force (group commit). Only if the
 * commit succeeds are the round's answers given ({@link #afterRound}); if it fails, nobody is
 * told anything the replica could not make durable.
 *
 * <p>A round that sends nothing and answers nobody need not force: its records wait for the next
 * round that does, but never longer than {@link #MAX_UNFORCED_MILLIS}: then the loop asks for a
 * force anyway, at the end of the round running then or, if there is no work, when the time is up
 * (a timed wait on its queue, not a poll).
 */
final class EventLoop implements AutoCloseable {
    /** How long records may wait for a force when no round needs one. */
    static final long MAX_UNFORCED_MILLIS = 10;

    /** The end of a round. */
    interface RoundEnd {
        /**
         * Hands on the round's messages, durable first; false if that failed. Must force if
         * {@link EventLoop#answersWaiting()} (answers are given only once their round is durable).
         *
         * @param forceAnyway unforced records have waited {@link EventLoop#MAX_UNFORCED_MILLIS}, or
         *                    the loop is stopping: force even if nothing leaves
         */
        boolean commit(boolean forceAnyway);

        /** Whether records were appended and not forced yet. */
        boolean unforced();
    }

    private record Completion(Runnable onCommit, Runnable onFailure) {
    }

    private static final Runnable STOP = () -> { };

    private final BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final List<Completion> completions = new ArrayList<>();
    private final RoundEnd roundEnd;
    private final Thread thread;
    private volatile boolean running = true;

    EventLoop(String name, RoundEnd roundEnd) {
        this.roundEnd = roundEnd;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Runs {@code task} on the loop. The future completes with its value only after the round
     * has committed, so whoever waits on it sees the round's effects durable and handed on; it
     * fails if the commit failed.
     */
    <T> CompletableFuture<T> call(Supplier<T> task) {
        return submit(task, true);
    }

    /**
     * Runs {@code task} on the loop; the future completes with its value as soon as it ran, before
     * its round commits: only for answers that claim nothing about the disk (see
     * {@link lamportkv.rmi.Ack}).
     */
    <T> CompletableFuture<T> callBeforeCommit(Supplier<T> task) {
        return submit(task, false);
    }

    private <T> CompletableFuture<T> submit(Supplier<T> task, boolean afterCommit) {
        CompletableFuture<T> done = new CompletableFuture<>();
        if (!running) {
            done.completeExceptionally(new IllegalStateException("the replica is stopping"));
            return done;
        }
        inbox.add(() -> {
            try {
                T value = task.get();
                if (!afterCommit) {
                    done.complete(value);
                    return;
                }
                afterRound(() -> done.complete(value),
                        () -> done.completeExceptionally(new IllegalStateException("the replica could not commit")));
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** Runs {@code task} on the loop, without waiting for it; false if the loop is stopping (it will not run). */
    boolean execute(Runnable task) {
        if (!running) {
            return false;
        }
        inbox.add(task);
        return true;
    }

    /** From a task on the loop: runs {@code onCommit} once this round has committed, else {@code onFailure}. */
    void afterRound(Runnable onCommit, Runnable onFailure) {
        assert inLoop();
        completions.add(new Completion(onCommit, onFailure));
    }

    /** From a task on the loop (or the commit): whether answers wait for this round's commit. */
    boolean answersWaiting() {
        assert inLoop();
        return !completions.isEmpty();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    private void run() {
        List<Runnable> round = new ArrayList<>();
        long forceBy = 0;       // while records are unforced: when they must be forced at the latest
        while (true) {
            try {
                Runnable first;
                if (roundEnd.unforced()) {
                    if (forceBy == 0) {
                        forceBy = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_UNFORCED_MILLIS);
                    }
                    first = inbox.poll(forceBy - System.nanoTime(), TimeUnit.NANOSECONDS);
                    if (first == null) {
                        commitRound(true);      // no work came: make the last rounds durable
                        forceBy = 0;
                        continue;
                    }
                } else {
                    forceBy = 0;
                    first = inbox.take();
                }
                round.add(first);
            } catch (InterruptedException e) {
                return;
            }
            inbox.drainTo(round);
            boolean stop = false;
            for (Runnable task : round) {
                if (task == STOP) {
                    stop = true;
                    continue;
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    Logger.error(e, "unexpected failure in the replica's event loop");
                }
            }
            round.clear();
            commitRound(stop || (forceBy != 0 && System.nanoTime() - forceBy >= 0));
            if (stop) {
                return;
            }
        }
    }

    private void commitRound(boolean forceAnyway) {
        boolean committed;
        try {
            committed = roundEnd.commit(forceAnyway);
        } catch (RuntimeException e) {
            Logger.error(e, "unexpected failure at the end of an event-loop round");
            committed = false;
        }
        for (Completion c : completions) {
            (committed ? c.onCommit() : c.onFailure()).run();
        }
        completions.clear();
    }

    @Override
    public void close() {
        running = false;
        inbox.add(STOP);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
