package lamportkv.replica;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import lamportkv.core.Node;
import lamportkv.core.Operation;
import lamportkv.core.OperationException;
import lamportkv.core.Result;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;

/**
 * A client's operation on its way through the replica: checked, handed to the node on the event
 * loop, and answered with a {@link Reply} whose status says what the client may conclude — taken
 * back before it was stamped ({@code NOT_APPLIED}), pending when time ran out ({@code TIMEOUT}),
 * lost with the replica ({@code ABANDONED}), or never taken ({@code UNAVAILABLE}). Runs on the RMI
 * handler's thread; only the loop touches the node.
 */
final class ClientCalls {
    /** Client operations accepted at once; beyond that a client is told to retry (back-pressure). */
    static final int MAX_IN_FLIGHT = 50_000;
    private static final DateTimeFormatter CLOCK_TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    /** The replica took the operation and then could not finish it: it may have been logged. */
    static final class Abandoned extends Exception {
        private static final long serialVersionUID = 1L;

        Abandoned(String why) {
            super(why, null, false, false);
        }
    }

    /** The replica never took the operation (the loop stopped before it ran, or it is in no working view). */
    static final class NotTaken extends Exception {
        private static final long serialVersionUID = 1L;

        NotTaken(String why) {
            super(why, null, false, false);
        }
    }

    /** A client call waiting for its operation; {@code token} is set on the loop. */
    private static final class Wait {
        final CompletableFuture<Result> answer = new CompletableFuture<>();
        long token;
    }

    private final int self;
    private final Node node;
    private final EventLoop loop;
    private final Rounds rounds;
    private final FailStop failStop;
    private final Map<Integer, PeerLink> links;
    /** The links in the order a round hands on its messages (the replica's configuration order). */
    private final List<PeerLink> linksInOrder;
    private final AtomicInteger inFlight = new AtomicInteger();

    ClientCalls(int self, Node node, EventLoop loop, Rounds rounds, FailStop failStop, Map<Integer, PeerLink> links) {
        this.self = self;
        this.node = node;
        this.loop = loop;
        this.rounds = rounds;
        this.failStop = failStop;
        this.links = links;
        this.linksInOrder = List.copyOf(links.values());
    }

    /**
     * Several clients' operations from one call, each as if it came in a call of its own: checked,
     * admitted and answered one by one (each within its own timeout, counted from now), but taken
     * to the loop in one task, so that they are stamped in one round. Returns when every one has
     * its answer, in the order given.
     */
    Reply[] executeAll(Command[] commands) {
        Reply[] replies = new Reply[commands.length];
        String failure = failStop.failure();
        List<Call> calls = new ArrayList<>(commands.length);
        for (int i = 0; i < commands.length; i++) {
            if (failure != null) {
                replies[i] = new Reply(Reply.Status.UNAVAILABLE, failure);
                continue;
            }
            try {
                calls.add(new Call(i, Operation.parse(commands[i].wordList()), commands[i]));
            } catch (OperationException e) {
                replies[i] = new Reply(Reply.Status.REFUSED, e.getMessage());
            }
        }
        int admitted = admit(calls.size());
        for (Call call : calls.subList(admitted, calls.size())) {
            replies[call.index] = new Reply(Reply.Status.UNAVAILABLE, "replica " + self + " is busy with "
                    + MAX_IN_FLIGHT + " operations in flight; retry shortly");
        }
        if (admitted > 0) {
            Trace.ClientCall traced = new Trace.ClientCall();
            traced.start(self);
            try {
                order(calls.subList(0, admitted), replies);
            } finally {
                inFlight.addAndGet(-admitted);
                traced.commit();
            }
        }
        return replies;
    }

    /** A client's operation in this call. */
    private record Call(int index, Operation op, Command command, Wait pending) {
        Call(int index, Operation op, Command command) {
            this(index, op, command, new Wait());
        }
    }

    /** How many of {@code wanted} operations may go in, within {@link #MAX_IN_FLIGHT}. */
    private int admit(int wanted) {
        while (true) {
            int now = inFlight.get();
            int granted = Math.max(0, Math.min(wanted, MAX_IN_FLIGHT - now));
            if (granted == 0 || inFlight.compareAndSet(now, now + granted)) {
                return granted;
            }
        }
    }

    private void order(List<Call> calls, Reply[] replies) {
        long received = System.nanoTime();
        PeerLink sendsOn = reserveLink();
        boolean queued;
        try {
            queued = executeHere(calls);
        } finally {
            if (sendsOn != null) {
                sendsOn.callReserved();         // the round's REQUESTs on this thread: it only waits otherwise
            }
        }
        for (Call call : calls) {
            replies[call.index()] = queued ? awaitAnswer(call.pending(), call.command().timeoutMillis(), received)
                    : new Reply(Reply.Status.UNAVAILABLE, "replica " + self + " is stopping; try another replica");
        }
    }

    /**
     * One idle link whose next call this thread makes itself ({@link PeerLink#reserve}): the
     * last in the order the round hands on its messages, so that the other links' threads are
     * woken first and every REQUEST leaves about together; none when every link is busy (under load).
     */
    private PeerLink reserveLink() {
        for (int i = linksInOrder.size() - 1; i >= 0; i--) {
            PeerLink link = linksInOrder.get(i);
            if (link.reserve()) {
                return link;
            }
        }
        return null;
    }

    /** Takes the calls' operations in: in a round on this thread if none runs, else on the loop's. */
    private boolean executeHere(List<Call> calls) {
        return loop.executeHere(() -> {
            String failure = failStop.failure();
            for (Call call : calls) {
                Wait wait = call.pending();
                if (failure != null) {              // the disk failed meanwhile: never taken
                    wait.answer.completeExceptionally(new NotTaken(failure));
                    continue;
                }
                Trace.Submitted taken = new Trace.Submitted();
                taken.start(self);
                wait.token = node.submit(call.op(), call.command().clientId(), call.command().seq());
                taken.commit();
                rounds.await(wait.token, wait.answer);       // stamped at the end of a round: see Node
            }
        }, why -> {
            for (Call call : calls) {
                call.pending().answer.completeExceptionally(new NotTaken(why));
            }
        });
    }

    private Reply awaitAnswer(Wait wait, long timeoutMillis, long received) {
        try {
            long left = timeoutMillis * 1_000_000 - (System.nanoTime() - received);
            Result result = wait.answer.get(Math.max(0, left), TimeUnit.NANOSECONDS);
            return answered(result);
        } catch (TimeoutException e) {
            return timedOut(wait, timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return interrupted();
        } catch (ExecutionException e) {
            return failed(e.getCause());
        }
    }

    private Reply interrupted() {
        return new Reply(Reply.Status.ABANDONED, "replica " + self + " was interrupted while it waited for the operation");
    }

    private static Reply answered(Result result) {
        return new Reply(result.ok() ? Reply.Status.OK : Reply.Status.FAILED, result.text());
    }

    private Reply failed(Throwable why) {
        if (why instanceof NotTaken) {
            return new Reply(Reply.Status.UNAVAILABLE, why.getMessage());
        }
        return new Reply(Reply.Status.ABANDONED, why.getMessage());
    }

    /**
     * Time is up. On the loop: if the answer came meanwhile, give it; if the operation was never
     * stamped, take it back — then it certainly never runs; else it may still be applied.
     */
    private Reply timedOut(Wait wait, long timeoutMillis) {
        record Outcome(Node.Withdrawal withdrawal, SortedSet<Integer> waitingFor, String why) {
        }
        Outcome outcome;
        try {
            outcome = loop.callBeforeCommit(() -> {
                if (wait.answer.isDone()) {
                    return null;
                }
                SortedSet<Integer> waitingFor = node.waitingFor(wait.token);
                Node.Withdrawal w = node.withdraw(wait.token);
                if (w == Node.Withdrawal.NOT_STAMPED) {
                    rounds.forget(wait.token);
                }
                return new Outcome(w, waitingFor, node.membership().whyNotServing());
            }).get(2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            outcome = new Outcome(Node.Withdrawal.UNKNOWN, new TreeSet<>(), "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = new Outcome(Node.Withdrawal.UNKNOWN, new TreeSet<>(), "");
        }
        if (outcome == null || outcome.withdrawal() == Node.Withdrawal.UNKNOWN) {
            // Answered already, or executed in the round running now: its answer is moments away.
            try {
                return answered(wait.answer.get(outcome == null ? 0 : 2_000, TimeUnit.MILLISECONDS));
            } catch (TimeoutException e) {
                return new Reply(Reply.Status.TIMEOUT, "timed out after " + seconds(timeoutMillis));
            } catch (ExecutionException e) {
                return failed(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return interrupted();
            }
        }
        String text = "timed out after " + seconds(timeoutMillis) + waitingFor(outcome.waitingFor())
                + (outcome.why().isEmpty() ? "" : "; " + outcome.why());
        return outcome.withdrawal() == Node.Withdrawal.NOT_STAMPED
                ? new Reply(Reply.Status.NOT_APPLIED, text + ", still queued behind this replica's earlier requests")
                : new Reply(Reply.Status.TIMEOUT, text);
    }

    private String waitingFor(SortedSet<Integer> peers) {
        List<String> who = new ArrayList<>();
        for (int peer : peers) {
            PeerLink link = links.get(peer);
            long since = link.unreachableSinceMillis();
            who.add("replica " + peer + (link.reachable() ? " (reachable, no answer yet)"
                    : since == 0 ? " (not reached yet)"
                    : " (unreachable since " + CLOCK_TIME.format(Instant.ofEpochMilli(since)) + ")"));
        }
        return who.isEmpty() ? "" : " waiting for " + String.join(", ", who);
    }

    static String seconds(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + "s"
                : java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + "s";
    }
}
