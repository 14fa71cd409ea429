package lamportkv.replica;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The owner of a replica's protocol state: one round at a time runs on it, and nothing else
 * touches the state. Other threads (RMI handlers, clients) hand the loop a task and wait on a
 * future.
 *
 * <p><b>Who runs a round.</b> The loop's own thread runs the rounds of queued tasks. A caller that
 * would only wait anyway (the RMI handler of a client's call) may instead run the round itself
 * when no round is running, or when the running one ends within {@link #SPIN_NANOS} and is not
 * forcing ({@link #executeHere}): its task and whatever waits go in, and the
 * commit (force, messages, answers) happens on the caller's thread, with no hand-off to the
 * loop's thread. Rounds never overlap (one lock, {@link #inLoop}), and a thread's tasks run in the
 * order it handed them in. A small peer batch may run its round on its call too ({@link #callHere}),
 * so that the answer carries back what the round sent once forced; a large one is answered as
 * soon as it is taken in, since its sender waits for the answer before it sends more. A link
 * takes in the few messages an answer carried back in a round of its own thread the same way.
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
 * (the loop's thread parks until then; a round a caller ran wakes it to set that time, unless it
 * is ticking anyway: for {@link #WARM_NANOS} after a round left records unforced it looks every
 * {@link #TICK_NANOS}, which at one client saves two wake-ups per operation). A round whose force the node deferred
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

    /**
     * Whether callers may run rounds themselves ({@link #executeHere}): on by default;
     * {@code -Dlamportkv.roundsHere=false} queues every task for the loop's thread (to measure what it does).
     */
    static final boolean ROUNDS_HERE = !"false".equals(System.getProperty("lamportkv.roundsHere"));

    /**
     * How long a caller that finds a round running may wait for it, spinning, rather than hand its
     * task to the loop's thread ({@link #executeHere}, {@link #callHere}): a round that does not
     * force is over in tens of microseconds, and waking the loop's thread costs about as much (on
     * this project's VMs, more). It spins only while nothing is queued and the round is not
     * forcing; {@code -Dlamportkv.spinMicros=0} never spins.
     */
    static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong("lamportkv.spinMicros", 50));

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

        /** The loop has stopped: its last act, as the state's owner (who closes what it owns). */
        default void stopped() {
        }
    }

    /** A task and what to do with its caller if it never runs. */
    private record Task(Runnable run, Consumer<String> abandon) {
    }

    /** What to do once the round has committed. */
    private record Completion(Runnable onCommit, Runnable onFailure) {
    }

    private final ConcurrentLinkedQueue<Task> inbox = new ConcurrentLinkedQueue<>();
    /** Held by whoever runs a round (the loop's thread or a caller running one here): the state's owner. */
    private final ReentrantLock owner = new ReentrantLock();
    private final List<Completion> completions = new ArrayList<>();
    /** How many of {@link #completions} claim their round durable ({@link #afterRound}): then it must force. */
    private int forcingCompletions;
    private final RoundEnd roundEnd;
    private final Consumer<Throwable> onBug;
    private final Thread thread;
    private volatile boolean started;
    private volatile boolean running = true;
    private volatile String stopReason = "the replica is stopping";
    /** Set with {@code running = false} when a bug stopped the loop: no last round, nothing more committed. */
    private volatile boolean stoppedForBug;
    /** Whether the round running now is in its force: a caller finding it so does not spin ({@link #SPIN_NANOS}). */
    private volatile boolean forcing;
    private final long spinNanos;
    /**
     * How often the loop's thread looks at the force deadline while rounds leave records unforced
     * ({@link #WARM_NANOS}), so that a caller's round setting one need not wake it.
     */
    static final long TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(MAX_HELD_MICROS);

    /**
     * How long after a round last left records unforced the loop's thread keeps ticking
     * ({@link #TICK_NANOS}) rather than sleep until woken: several deadlines' worth, so that
     * rounds the deadline itself forces keep it ticking; at most this many ticks after work stops.
     */
    static final long WARM_NANOS = TimeUnit.MILLISECONDS.toNanos(5 * MAX_UNFORCED_MILLIS);

    /** Whether the loop's thread is parked (or about to): whoever hands it work or a deadline unparks it. */
    private volatile boolean parked;
    /** While {@link #parked}: the System.nanoTime it wakes by itself at, or 0 if it waits to be woken. Written before {@code parked}. */
    private volatile long parkedUntil;
    /** How often a caller's round woke the loop's thread to keep a force deadline (tests). Written by the owner. */
    private volatile long callerWakeUps;
    /** How long the loop's thread ticks after a round left records unforced: {@link #WARM_NANOS} but in tests. */
    private final long warmNanos;
    /** When a round last left records unforced (System.nanoTime): the loop's thread ticks for {@link #warmNanos} after. */
    private volatile long unforcedSeenNanos;
    /** While records are unforced: the System.nanoTime by which they must be forced; 0 while none are. Written by the owner. */
    private volatile long forceBy;

    /** @param onBug hears, as the state's owner, the exception that stopped the loop (fail-stop) */
    EventLoop(String name, RoundEnd roundEnd, Consumer<Throwable> onBug) {
        this(name, roundEnd, onBug, SPIN_NANOS);
    }

    /** As above, spinning at most {@code spinNanos} for a running round (tests). */
    EventLoop(String name, RoundEnd roundEnd, Consumer<Throwable> onBug, long spinNanos) {
        this(name, roundEnd, onBug, spinNanos, WARM_NANOS);
    }

    /** As above, ticking for {@code warmNanos} after a round left records unforced (tests). */
    EventLoop(String name, RoundEnd roundEnd, Consumer<Throwable> onBug, long spinNanos, long warmNanos) {
        this.spinNanos = spinNanos;
        this.warmNanos = warmNanos;
        this.unforcedSeenNanos = System.nanoTime() - 2 * warmNanos;
        this.roundEnd = roundEnd;
        this.onBug = onBug;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        started = true;
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
        Runnable run = answering(task, done, afterCommit ? Answer.AFTER_DURABLE_COMMIT : Answer.AT_ONCE);
        if (!enqueue(new Task(run, why -> done.completeExceptionally(new IllegalStateException(why))))) {
            done.completeExceptionally(new IllegalStateException(stopReason));
        }
        return done;
    }

    /** When a task's caller hears its value. */
    private enum Answer {
        /** As soon as it ran. */
        AT_ONCE,
        /** Once its round committed, forced: the answer claims the round durable ({@link #afterRound}). */
        AFTER_DURABLE_COMMIT,
        /** Once its round committed, forced or not: the answer claims nothing about the disk. */
        AFTER_COMMIT
    }

    /** {@code task} as the loop runs it: its value or its bug goes to {@code done}, {@code when} says. */
    private <T> Runnable answering(Supplier<T> task, CompletableFuture<T> done, Answer when) {
        return () -> {
            T value;
            try {
                value = task.get();
            } catch (RuntimeException | Error bug) {
                done.completeExceptionally(bug);        // its caller hears at once; the loop stops (fail-stop)
                throw bug;
            }
            Runnable answer = () -> done.complete(value);
            Runnable fail = () -> done.completeExceptionally(new IllegalStateException("the replica could not commit"));
            switch (when) {
                case AT_ONCE -> done.complete(value);
                case AFTER_DURABLE_COMMIT -> afterRound(answer, fail);
                case AFTER_COMMIT -> completions.add(new Completion(answer, fail));
            }
        };
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
     * As {@link #execute(Runnable, Consumer)}, but if no round is running, the calling thread runs
     * this one itself, commit included, before it returns. For a caller that would otherwise only
     * wait (a client's call waits for its operation's answer anyway): it saves handing the task to
     * the loop's thread. Whatever waits in the queue goes in the same round, first.
     */
    boolean executeHere(Runnable task, Consumer<String> abandoned) {
        return runHere(new Task(task, abandoned));
    }

    /**
     * Runs {@code task} in a round on the calling thread if no round is running, and completes the
     * future with its value once that round has committed, forced or not (the round forces only if
     * something in it must leave or be answered durably). If a round is running it is
     * {@link #callBeforeCommit} instead. For a peer's batch: run here, its answer can carry back
     * the messages the round handed on after its force.
     */
    <T> CompletableFuture<T> callHere(Supplier<T> task) {
        CompletableFuture<T> done = new CompletableFuture<>();
        Runnable run = answering(task, done, Answer.AFTER_COMMIT);
        Boolean ran = tryRunHere(new Task(run, why -> done.completeExceptionally(new IllegalStateException(why))));
        if (ran == null) {
            return callBeforeCommit(task);
        }
        if (!ran) {
            done.completeExceptionally(new IllegalStateException(stopReason));
        }
        return done;
    }

    /**
     * Hands {@code task} to the loop; false if the loop has stopped and will never see it. No lock:
     * the loop marks itself stopped before it drains its inbox for the last time, so a task added
     * after that drain sees the mark and takes itself back; one the drain took is run or abandoned there.
     */
    private boolean enqueue(Task task) {
        if (!running) {
            return false;
        }
        inbox.add(task);
        if (!running && inbox.remove(task)) {
            return false;
        }
        wakeLoop();
        return true;
    }

    /**
     * Runs a round of {@code task} (after the tasks already waiting, so a thread's tasks keep their
     * order) on the calling thread if no round is running, else queues it; false if the loop is
     * stopping. Not from inside a round (that queues), nor on an interrupted thread: an interrupt
     * during a force would close the log's channel.
     */
    private boolean runHere(Task task) {
        Boolean ran = tryRunHere(task);
        return ran != null ? ran : enqueue(task);
    }

    /**
     * Runs a round of {@code task} (after the tasks already waiting) on the calling thread if no
     * round is running: true once it ran, false if the loop is stopping, null if it cannot run here.
     */
    private Boolean tryRunHere(Task task) {
        if (!ROUNDS_HERE || !started || owner.isHeldByCurrentThread() || Thread.currentThread().isInterrupted()
                || !acquire()) {
            return null;
        }
        List<Task> round = new ArrayList<>();
        try {
            if (!running) {
                return false;
            }
            drainInto(round);
            round.add(task);
            if (!runRoundOrStop(round, false)) {
                round.forEach(left -> left.abandon().accept(stopReason));   // the rest of the round cut short
                LockSupport.unpark(thread);                                   // its thread abandons the rest and ends
            }
        } finally {
            owner.unlock();
        }
        return true;
    }

    /**
     * Becomes the state's owner if no round runs, or if the running one ends within
     * {@link #SPIN_NANOS} (spinning) while nothing is queued and it is not forcing; false otherwise.
     */
    private boolean acquire() {
        if (owner.tryLock()) {
            return true;
        }
        long deadline = System.nanoTime() + spinNanos;
        while (spinNanos > 0 && !forcing && inbox.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
            if (!owner.isLocked() && owner.tryLock()) {
                return true;
            }
        }
        return false;
    }

    /** From the commit, around its force: whether the round is forcing now (callers do not spin for it). */
    void forcing(boolean now) {
        forcing = now;
    }

    /** From a task on the loop: runs {@code onCommit} once this round has committed, else {@code onFailure}. */
    void afterRound(Runnable onCommit, Runnable onFailure) {
        assert inLoop();
        completions.add(new Completion(onCommit, onFailure));
        forcingCompletions++;
    }

    /** From a task on the loop (or the commit): whether answers wait for this round's commit. */
    boolean answersWaiting() {
        assert inLoop();
        return forcingCompletions > 0;
    }

    /** From the commit: whether tasks are already waiting, so that another round follows this one at once. */
    boolean workWaiting() {
        assert inLoop();
        return !inbox.isEmpty();
    }

    /** Whether the calling thread runs the current round (owns the state). */
    boolean inLoop() {
        return owner.isHeldByCurrentThread();
    }

    /** How often a caller's round had to wake the loop's thread to keep a force deadline (tests). */
    long callerWakeUps() {
        return callerWakeUps;
    }

    /** The loop's own thread (tests: whether it ticks or waits to be woken). */
    Thread thread() {
        return thread;
    }

    /** Whether the loop still takes tasks. */
    boolean running() {
        return running;
    }

    private void wakeLoop() {
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        List<Task> round = new ArrayList<>();
        try {
            loop(round);
        } catch (Throwable bug) {       // outside any round (rounds catch their own): still a bug
            owner.lock();
            try {
                stopForBug(bug);
            } finally {
                owner.unlock();
            }
        } finally {
            running = false;
            owner.lock();
            try {
                round.forEach(left -> left.abandon().accept(stopReason));    // the rest of a round cut short
                for (Task left; (left = inbox.poll()) != null; ) {
                    left.abandon().accept(stopReason);
                }
                roundEnd.stopped();
            } finally {
                owner.unlock();
            }
        }
    }

    /**
     * The loop's own thread: runs rounds of queued tasks, forces unforced records by their
     * deadline, and on close makes one last round that forces. {@code round} holds the tasks of the
     * current round that have not run.
     */
    private void loop(List<Task> round) {
        while (true) {
            if (!running) {
                if (stoppedForBug) {
                    return;
                }
                owner.lock();
                try {
                    drainInto(round);
                    runRoundOrStop(round, true);        // what was handed in before close, and a last force
                } finally {
                    owner.unlock();
                }
                return;
            }
            if (inbox.isEmpty()) {
                long by = forceBy;
                if (by != 0 && System.nanoTime() - by >= 0) {
                    owner.lock();
                    try {
                        if (running && inbox.isEmpty() && forceBy != 0 && System.nanoTime() - forceBy >= 0) {
                            runRoundOrStop(round, true);        // no work came: make the last rounds durable
                        }
                    } finally {
                        owner.unlock();
                    }
                    continue;
                }
                long now = System.nanoTime();
                long until = by;            // 0: until woken
                if (now - unforcedSeenNanos < warmNanos && (until == 0 || now + TICK_NANOS - until < 0)) {
                    until = now + TICK_NANOS;       // ticking: a sooner deadline a caller sets needs no wake-up
                }
                parkedUntil = until;
                parked = true;
                if (running && inbox.isEmpty() && forceBy == by) {     // checked again after saying so (no lost wake-up)
                    if (until == 0) {
                        LockSupport.park(this);
                    } else {
                        LockSupport.parkNanos(this, until - now);
                    }
                }
                parked = false;
                if (Thread.interrupted()) {     // nobody does: the loop stops as if closed
                    stopReason = "the replica's event loop was interrupted";
                    running = false;
                }
                continue;
            }
            owner.lock();
            try {
                if (running) {
                    drainInto(round);
                    if (!round.isEmpty()) {     // unless a caller's round took them meanwhile
                        runRoundOrStop(round, false);
                    }
                }
            } finally {
                owner.unlock();
            }
        }
    }

    private void drainInto(List<Task> round) {
        for (Task t; (t = inbox.poll()) != null; ) {
            round.add(t);
        }
    }

    /**
     * As the owner: runs the round's tasks in order, then commits it (forcing if {@code forceAnyway}
     * or a deadline passed); false if a task or the commit threw. That is a bug: nothing more is
     * committed, the loop stops before anyone else can own the state, and {@code round} keeps the
     * tasks that never ran (its owner abandons them).
     */
    private boolean runRoundOrStop(List<Task> round, boolean forceAnyway) {
        try {
            for (int i = 0; i < round.size(); i++) {
                Task task = round.get(i);
                round.set(i, null);
                task.run().run();
            }
            round.clear();
            long by = forceBy;
            commitRound(forceAnyway || (by != 0 && System.nanoTime() - by >= 0));
            scheduleForce();
            return true;
        } catch (RuntimeException | Error bug) {
            round.removeIf(java.util.Objects::isNull);      // those that ran (or threw); the rest never will
            stopForBug(bug);
            return false;
        }
    }

    /**
     * As the owner, after a commit: when unforced records must be forced at the latest. If the
     * loop's thread would not look before then by itself, it is woken to keep the time; while
     * rounds keep leaving records unforced it ticks ({@link #TICK_NANOS}) and looks anyway, so that
     * the caller's thread (about to answer a client) need not wake it each time.
     */
    private void scheduleForce() {
        long before = forceBy;
        if (!roundEnd.unforced()) {
            forceBy = 0;
            return;
        }
        long now = System.nanoTime();
        long by = before != 0 ? before : now + TimeUnit.MILLISECONDS.toNanos(MAX_UNFORCED_MILLIS);
        long held = now + TimeUnit.MICROSECONDS.toNanos(MAX_HELD_MICROS);
        if (roundEnd.holding() && held - by < 0) {
            by = held;
        }
        forceBy = by;
        unforcedSeenNanos = now;
        if (by != before && Thread.currentThread() != thread && parked) {
            long until = parkedUntil;
            if (until == 0 || by - until < 0) {
                callerWakeUps++;
                LockSupport.unpark(thread);     // it would wake too late by itself
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
        forcingCompletions = 0;
    }

    /** As the owner: a task or commit threw; nothing more is committed and the loop stops. */
    private void stopForBug(Throwable bug) {
        stopReason = "the replica stopped after a bug (" + bug + "); see its log";
        stoppedForBug = true;
        running = false;
        for (Completion c : completions) {
            c.onFailure().run();
        }
        completions.clear();
        forcingCompletions = 0;
        onBug.accept(bug);
    }

    /** Stops taking tasks, forces what the last rounds appended, and waits for the loop to end. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread && !owner.isHeldByCurrentThread() && started) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
