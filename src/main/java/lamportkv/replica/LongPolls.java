package lamportkv.replica;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import lamportkv.core.Changes;
import lamportkv.core.Locks;
import lamportkv.core.Node;
import lamportkv.core.Operation;
import lamportkv.core.OperationException;
import lamportkv.core.Value;
import lamportkv.rmi.ChangeView;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.WatchReply;

/**
 * Watches and lock waits: long polls that read what this replica applied, outside the order, and
 * wait for the next round that applies something. There are no callbacks into clients (they may
 * sit behind a firewall, and the deserialization filters stay tight): a client asks again from
 * where the last answer left it.
 *
 * <p>Reads run on the event loop and answer only after their round committed, so a watch never
 * sees a change this replica has not forced. A replica that is not serving (not a member of a
 * working view) answers {@code UNAVAILABLE}: the client asks another, from the same revision.
 * Runs on the RMI handler's thread; only the loop touches the node.
 */
final class LongPolls {
    /** The most changes one watch answer carries. */
    static final int MAX_PAGE = 1_000;
    /**
     * The most long polls one replica serves at once: each holds an RMI thread while it waits. A
     * poll beyond them is told to try another replica, so a flood of watches cannot exhaust it.
     */
    static final int MAX_POLLS = 2_000;
    private final java.util.concurrent.atomic.AtomicInteger polling = new java.util.concurrent.atomic.AtomicInteger();

    private final int self;
    private final Node node;
    private final EventLoop loop;
    private final FailStop failStop;
    /** The replica's wait for a loop task's answer (an IllegalStateException saying why if none comes). */
    private final AwaitLoop awaitLoop;

    /** {@code Replica.awaitLoop}: the answer of a task on the loop. */
    interface AwaitLoop {
        <T> T apply(CompletableFuture<T> answer);
    }
    private final Object applied = new Object();
    /** The applied count after the last committed round; guarded by {@link #applied}. */
    private long appliedCount;
    /** How many polls wait: the loop notifies only then. */
    private final java.util.concurrent.atomic.AtomicInteger waiters = new java.util.concurrent.atomic.AtomicInteger();

    LongPolls(int self, Node node, EventLoop loop, FailStop failStop, AwaitLoop awaitLoop) {
        this.awaitLoop = awaitLoop;
        this.self = self;
        this.node = node;
        this.loop = loop;
        this.failStop = failStop;
        this.appliedCount = node.core().state().appliedCount();
    }

    /** After every committed round, on the loop: wakes the polls if something was applied. */
    void afterRound(long applied) {
        if (waiters.get() == 0) {
            synchronized (this.applied) {
                appliedCount = applied;
            }
            return;
        }
        synchronized (this.applied) {
            if (applied != appliedCount) {
                appliedCount = applied;
                this.applied.notifyAll();
            }
        }
    }

    /** The query as typed: {@code watch PATTERN FROM MAX}. */
    private record WatchQuery(Predicate<String> matches, long from, int max) {
    }

    WatchReply watch(Command command) {
        WatchQuery q;
        try {
            q = parseWatch(command.wordList());
        } catch (OperationException e) {
            return new WatchReply(Reply.Status.REFUSED, e.getMessage(), new ChangeView[0], 0);
        }
        return poll(command, why -> new WatchReply(Reply.Status.UNAVAILABLE, why, new ChangeView[0], q.from()),
                () -> read(q), reply -> reply.status() == Reply.Status.OK && reply.changes().length == 0);
    }

    /**
     * The one long poll: at most {@link #MAX_POLLS} at once; reads on the loop, and while
     * {@code waitMore} says the answer is not worth giving yet, waits for the next round that
     * applies something, until the command's time (at most {@link ReplicaService#MAX_POLL_MILLIS})
     * is up. A failed replica, or a loop that cannot answer, is {@code unavailable}.
     */
    private <T> T poll(Command command, java.util.function.Function<String, T> unavailable,
                       java.util.function.Supplier<T> read, Predicate<T> waitMore) {
        if (polling.incrementAndGet() > MAX_POLLS) {
            polling.decrementAndGet();
            return unavailable.apply("replica " + self + " serves " + MAX_POLLS
                    + " watches and lock waits already; try another replica");
        }
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
                    Math.min(command.timeoutMillis(), ReplicaService.MAX_POLL_MILLIS));
            while (true) {
                String failure = failStop.failure();
                if (failure != null) {
                    return unavailable.apply(failure);
                }
                long seen = seen();
                T reply;
                try {
                    reply = awaitLoop.apply(loop.call(read));
                } catch (IllegalStateException e) {
                    return unavailable.apply(e.getMessage());
                }
                if (!waitMore.test(reply) || !awaitRound(seen, deadline)) {
                    return reply;
                }
            }
        } finally {
            polling.decrementAndGet();
        }
    }

    private WatchReply read(WatchQuery q) {
        if (!node.membership().ordering()) {
            return new WatchReply(Reply.Status.UNAVAILABLE, "replica " + self + ": " + node.membership().whyNotServing(),
                    new ChangeView[0], q.from());
        }
        Changes.Page page;
        try {
            page = node.core().state().changes().read(q.from(), q.matches(), q.max(), node.core().state().appliedCount());
        } catch (IllegalArgumentException tooOld) {
            return new WatchReply(Reply.Status.REFUSED, tooOld.getMessage() + " (replicas keep the last "
                    + Changes.MAX_CHANGES + " changes)", new ChangeView[0], q.from());
        }
        List<ChangeView> changes = new ArrayList<>();
        for (Changes.Change c : page.changes()) {
            changes.add(new ChangeView(c.revision(), c.key(), c.value().isEmpty(),
                    c.value().map(v -> v instanceof Value.Num).orElse(false), c.value().map(Value::render).orElse("")));
        }
        return new WatchReply(Reply.Status.OK, "", changes.toArray(ChangeView[]::new), page.next());
    }

    Reply lockStanding(Command command) {
        List<String> words = command.wordList();
        String name;
        long token;
        try {
            if (words.size() != 3 || !words.get(0).equals("standing")) {
                throw new OperationException("usage: standing NAME TOKEN");
            }
            name = words.get(1);
            Operation.checkKey(name);
            token = Long.parseLong(words.get(2));
        } catch (OperationException | NumberFormatException e) {
            return new Reply(Reply.Status.REFUSED, e.getMessage());
        }
        return poll(command, why -> new Reply(Reply.Status.UNAVAILABLE, why), () -> standing(name, token),
                reply -> reply.text().equals("waits"));
    }

    private Reply standing(String name, long token) {
        if (!node.membership().ordering()) {
            return new Reply(Reply.Status.UNAVAILABLE, "replica " + self + ": " + node.membership().whyNotServing());
        }
        if (node.core().state().appliedCount() < token) {
            return new Reply(Reply.Status.OK, "waits");     // this replica has not applied the request yet
        }
        Locks locks = node.core().state().locks();
        return switch (locks.standing(name, token)) {
            case HOLDS -> new Reply(Reply.Status.OK, "holds " + locks.holder(name).orElseThrow().renewBy());
            case WAITS -> new Reply(Reply.Status.OK, "waits");
            case NONE -> new Reply(Reply.Status.OK, "none");
        };
    }

    static WatchQuery parseWatch(List<String> words) {
        if (words.size() != 4 || !words.get(0).equals("watch")) {
            throw new OperationException("usage: watch PATTERN FROM MAX");
        }
        Predicate<String> matches = Changes.pattern(words.get(1));
        long from;
        int max;
        try {
            from = Long.parseLong(words.get(2));
            max = Integer.parseInt(words.get(3));
        } catch (NumberFormatException e) {
            throw new OperationException("bad watch: FROM and MAX are whole numbers");
        }
        if (from < 1 || max < 1 || max > MAX_PAGE) {
            throw new OperationException("bad watch: FROM is at least 1 and MAX 1 to " + MAX_PAGE);
        }
        return new WatchQuery(matches, from, max);
    }

    private long seen() {
        synchronized (applied) {
            return appliedCount;
        }
    }

    /** Waits for a round that applies something after {@code seen}; false if the time ran out. */
    private boolean awaitRound(long seen, long deadline) {
        waiters.incrementAndGet();
        try {
            synchronized (applied) {
                while (appliedCount == seen) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    applied.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            waiters.decrementAndGet();
        }
    }
}
