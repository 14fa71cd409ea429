package lamportkv.replica;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

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
 * (a timed wait on its queue, not a poll). A round whose force the node deferred
 * ({@link lamportkv.core.Node#holdsMessages}: its APPLYs wait) is forced within
 * {@link #MAX_HELD_MICROS}, sooner if a round that forces comes first.
 *
 * <p><b>Fail-stop.</b> A task or a commit that throws anything unexpected is a bug: the state may
 * be half-changed, so the loop commits nothing more — not that round, not any later one — fails
 * every waiting task, reports the bug ({@code onBug}) and stops. Recovery from the log, which
 * holds only whole rounds, is the safe way back.
 */
final class EventLoop implements AutoCloseable {
    /** How long records may wait for a force when no round needs one. */
    static final long MAX_UNFORCED_MILLIS = 10;

    /**
     * How long messages may wait for a force when no round needs one (a deferred round's APPLYs:
     * {@link lamportkv.core.Node#holdsMessages}): a peer whose own requests wait behind ours waits
     * no longer than this.
     */
    static final long MAX_HELD_MICROS = 1_000;

    /** The end of a round. */
    interface RoundEnd {
        /**
         * Hands on the round's messages, durable first; false if that failed (the replica stops
         * accepting work). Must force if {@link EventLoop#answersWaiting()} (answers are given only
         * once their round is durable).
         *
         * @param forceAnyway unforced records have waited {@link EventLoop#MAX_UNFORCED_MILLIS}, or
         *                    the loop is stopping: force even if nothing leaves
         */
        boolean commit(boolean forceAnyway);

        /** Whether records were appended and not forced yet. */
        boolean unforced();

        /** Whether messages wait for a force: then it comes within {@link #MAX_HELD_MICROS}. */
        default boolean holding() {
            return false;
        }

        /** The loop has stopped: its last act, on its own thread (the state's owner closes what it owns). */
        default void stopped() {
        }
    }

    /** A task and what to do with its caller if it never runs. */
    private record Task(Runnable run, Consumer<String> abandon) {
    }

    private record Completion(Runnable onCommit, Runnable onFailure) {
    }

    private static final Task STOP = new Task(() -> { }, why -> { });

    private final BlockingQueue<Task> inbox = new LinkedBlockingQueue<>();
    private final List<Completion> completions = new ArrayList<>();
    private final RoundEnd roundEnd;
    private final Consumer<Throwable> onBug;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile String stopReason = "the replica is stopping";

    /** @param onBug hears, on the loop thread, the exception that stopped the loop (fail-stop) */
    EventLoop(String name, RoundEnd roundEnd, Consumer<Throwable> onBug) {
        this.roundEnd = roundEnd;
        this.onBug = onBug;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Runs {@code task} on the loop. The future completes with its value only after the round
     * has committed, so whoever waits on it sees the round's effects durable and handed on; it
     * fails if the commit failed or the loop stopped first.
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
        Runnable run = () -> {
            T value;
            try {
                value = task.get();
            } catch (RuntimeException | Error bug) {
                done.completeExceptionally(bug);        // its caller hears at once; the loop stops (fail-stop)
                throw bug;
            }
            if (!afterCommit) {
                done.complete(value);
                return;
            }
            afterRound(() -> done.complete(value),
                    () -> done.completeExceptionally(new IllegalStateException("the replica could not commit")));
        };
        if (!enqueue(new Task(run, why -> done.completeExceptionally(new IllegalStateException(why))))) {
            done.completeExceptionally(new IllegalStateException(stopReason));
        }
        return done;
    }

    /**
     * Runs {@code task} on the loop, without waiting for it; false if the loop is stopping (it will
     * not run). If the loop stops before running it, {@code abandoned} hears why.
     */
    boolean execute(Runnable task, Consumer<String> abandoned) {
        return enqueue(new Task(task, abandoned));
    }

    /** As {@link #execute(Runnable, Consumer)}, for a task whose caller does not wait for it. */
    boolean execute(Runnable task) {
        return enqueue(new Task(task, why -> { }));
    }

    /**
     * Hands {@code task} to the loop; false if the loop has stopped and will never see it. No lock:
     * the loop marks itself stopped before it drains its inbox for the last time, so a task added
     * after that drain sees the mark and takes itself back; one the drain took is abandoned there.
     */
    private boolean enqueue(Task task) {
        if (!running) {
            return false;
        }
        inbox.add(task);
        return running || !inbox.remove(task);
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

    /** From the commit: whether tasks are already waiting, so that another round follows this one at once. */
    boolean workWaiting() {
        assert inLoop();
        return !inbox.isEmpty();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Whether the loop still takes tasks. */
    boolean running() {
        return running;
    }

    private void run() {
        List<Task> round = new ArrayList<>();
        try {
            loop(round);
        } catch (InterruptedException e) {
            stopReason = "the replica's event loop was interrupted";     // nobody does: the loop stops as if closed
        } catch (Throwable bug) {
            stopForBug(bug);
        } finally {
            running = false;
            round.forEach(left -> left.abandon().accept(stopReason));    // the rest of a round cut short
            for (Task left; (left = inbox.poll()) != null; ) {
                left.abandon().accept(stopReason);
            }
            roundEnd.stopped();
        }
    }

    /** Runs rounds until stopped; {@code round} holds the tasks of the current round that have not run. */
    private void loop(List<Task> round) throws InterruptedException {
        long forceBy = 0;       // while records are unforced: when they must be forced at the latest
        while (true) {
            Task first;
            if (roundEnd.unforced()) {
                long now = System.nanoTime();
                if (forceBy == 0) {
                    forceBy = now + TimeUnit.MILLISECONDS.toNanos(MAX_UNFORCED_MILLIS);
                }
                if (roundEnd.holding() && now + TimeUnit.MICROSECONDS.toNanos(MAX_HELD_MICROS) - forceBy < 0) {
                    forceBy = now + TimeUnit.MICROSECONDS.toNanos(MAX_HELD_MICROS);
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
            inbox.drainTo(round);
            boolean stop = false;
            for (int i = 0; i < round.size(); i++) {
                Task task = round.get(i);
                if (task == STOP) {
                    stop = true;
                } else {
                    try {
                        task.run().run();
                    } catch (RuntimeException | Error bug) {
                        round.subList(0, i + 1).clear();      // what is left of the round is abandoned
                        throw bug;                              // a bug: run() stops the loop, nothing is committed
                    }
                }
            }
            round.clear();
            commitRound(stop || (forceBy != 0 && System.nanoTime() - forceBy >= 0));
            if (stop) {
                return;
            }
        }
    }

    /** Commits the round, then answers its waiting callers (or fails them if the commit failed). */
    private void commitRound(boolean forceAnyway) {
        boolean committed = roundEnd.commit(forceAnyway);
        for (Completion c : completions) {
            (committed ? c.onCommit() : c.onFailure()).run();
        }
        completions.clear();
    }

    private void stopForBug(Throwable bug) {
        stopReason = "the replica stopped after a bug (" + bug + "); see its log";
        running = false;
        for (Completion c : completions) {
            c.onFailure().run();
        }
        completions.clear();
        onBug.accept(bug);
    }

    /** Stops taking tasks, forces what the last rounds appended, and waits for the loop to end. */
    @Override
    public void close() {
        if (running) {
            running = false;
            inbox.add(STOP);
        }
        if (!inLoop()) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
