package lamportkv.replica;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;
import org.tinylog.Logger;

/**
 * The one thread that owns a replica's protocol state. Other threads (RMI handlers, clients)
 * never touch the state: they hand the loop a task and wait on a future.
 *
 * <p>The loop works in rounds: it takes every task that is waiting, runs them one after another,
 * then calls {@code endOfRound} once. The replica uses that to send what the round produced and
 * answer clients, so one round's many events cost one pass through the links — and, when the
 * state is made durable, one disk force.
 */
final class EventLoop implements AutoCloseable {
    private static final Runnable STOP = () -> { };

    private final BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final List<Runnable> completions = new ArrayList<>();
    private final Runnable endOfRound;
    private final Thread thread;
    private volatile boolean running = true;

    EventLoop(String name, Runnable endOfRound) {
        this.endOfRound = endOfRound;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Runs {@code task} on the loop. The future completes with its value only after the round's
     * end, so whoever waits on it sees the round's effects already handed on.
     */
    <T> CompletableFuture<T> call(Supplier<T> task) {
        CompletableFuture<T> done = new CompletableFuture<>();
        if (!running) {
            done.completeExceptionally(new IllegalStateException("the replica is stopping"));
            return done;
        }
        inbox.add(() -> {
            try {
                T value = task.get();
                afterRound(() -> done.complete(value));
            } catch (RuntimeException e) {
                afterRound(() -> done.completeExceptionally(e));
            }
        });
        return done;
    }

    /** Runs {@code task} on the loop, without waiting for it. */
    void execute(Runnable task) {
        if (running) {
            inbox.add(task);
        }
    }

    /** From a task on the loop: runs {@code action} once this round has ended. */
    void afterRound(Runnable action) {
        assert inLoop();
        completions.add(action);
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    private void run() {
        List<Runnable> round = new ArrayList<>();
        while (true) {
            try {
                round.add(inbox.take());
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
            try {
                endOfRound.run();
            } catch (RuntimeException e) {
                Logger.error(e, "unexpected failure at the end of an event-loop round");
            }
            for (Runnable completion : completions) {
                completion.run();
            }
            completions.clear();
            if (stop) {
                return;
            }
        }
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
