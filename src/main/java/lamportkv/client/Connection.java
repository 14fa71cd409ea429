package lamportkv.client;

import java.io.EOFException;
import java.io.PrintStream;
import java.rmi.NoSuchObjectException;
import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.rmi.ServerError;
import java.rmi.ServerException;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;

/**
 * The client's link to one replica at a time. Looks the replica up lazily.
 *
 * <p>Replicated operations ({@link #execute}) carry the client's id and a sequence number, and
 * replicas apply a tagged operation once however often it is ordered and give every attempt the
 * first result. So an attempt that got no answer is simply repeated, within the operation's
 * budget: on the next replica of the configuration in id order (also with {@code --replica}:
 * the named one is only tried first), or on the same address with {@code --connect}. The
 * connection then stays on the replica that answered.
 *
 * <p>Questions about one replica ({@link #call}: tick, hash, status) move on to the next replica
 * only when the user let the client pick it and the current one certainly was not reached, saying
 * so on stderr.
 */
final class Connection {
    /** A call to a replica's remote object. */
    @FunctionalInterface
    interface RemoteCall<T> {
        T call(ReplicaService service) throws RemoteException;
    }

    /** The replica was not reached at all: nothing was sent to it. */
    private static final class Unreached extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Endpoint endpoint;

        Unreached(Endpoint endpoint, String reason) {
            super(reason, null, false, false);
            this.endpoint = endpoint;
        }
    }

    private static final long WAIT_STEP_MILLIS = 200;

    /** The pause after the first full round of replicas that all failed; it doubles up to the maximum. */
    static final long FIRST_PAUSE_MILLIS = 50;
    static final long MAX_PAUSE_MILLIS = 1_000;

    /**
     * How long past the time it was given an attempt may still answer: the replica answers TIMEOUT
     * itself when the time is up, and that answer, naming what it waited for, is worth a moment.
     */
    static final long ANSWER_GRACE_MILLIS = 1_000;

    /** Runs each attempt, so that the client can stop waiting for one that hangs. */
    private static final ExecutorService ATTEMPTS = Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "lamportkv-client-call");
        t.setDaemon(true);
        return t;
    });

    private final List<Endpoint> candidates;
    private final boolean failover;
    private final boolean movable;
    private final long waitNanos;
    private final long waitDeadline;
    private final long attemptMillis;
    private final PrintStream err;
    /** Attempts run on the caller's thread: see {@link #rmiReadTimeoutWithin}. */
    private final boolean direct;
    private int current;
    private ReplicaService service;
    /** The combiner of {@link #combinedFor}, kept so that an operation takes no process-wide lock to find it. */
    private CallCombiner combiner;
    private ReplicaService combinedFor;

    /**
     * @param candidates the replicas to try, the chosen one first
     * @param failover   whether to move on to the next candidate when one cannot be reached
     * @param movable    whether a tagged operation may be retried on the other candidates
     * @param wait       how long to keep retrying the first candidate before giving up on it
     * @param attemptMillis how long one attempt of {@link #execute} waits for its replica's answer
     *                   ({@link Client#attemptLimitMillis}) before the next replica gets the command
     * @param err        where failover notices go
     */
    Connection(List<Endpoint> candidates, boolean failover, boolean movable, Duration wait, long attemptMillis,
               PrintStream err) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no replica to connect to");
        }
        this.candidates = List.copyOf(candidates);
        this.failover = failover;
        this.movable = movable;
        this.waitNanos = wait.toNanos();
        this.waitDeadline = System.nanoTime() + waitNanos;
        if (attemptMillis <= 0) {
            throw new IllegalArgumentException("an attempt needs time: " + attemptMillis + " ms");
        }
        this.attemptMillis = attemptMillis;
        this.err = err;
        this.direct = rmiReadTimeoutWithin(attemptMillis);
    }

    /**
     * Whether RMI's own read timeout ({@code sun.rmi.transport.tcp.responseTimeout}, JVM-wide, read
     * by RMI once) is set and ends every call within {@code attemptMillis}: then an attempt may run
     * on the caller's thread, since a replica that never answers costs it no more than the limit.
     */
    static boolean rmiReadTimeoutWithin(long attemptMillis) {
        Long readTimeout = Long.getLong(Client.RESPONSE_TIMEOUT_PROPERTY);
        return readTimeout != null && readTimeout > 0 && readTimeout <= attemptMillis;
    }

    /** The replica this connection talks to now (or will try first). */
    Endpoint endpoint() {
        return candidates.get(current);
    }

    /** Looks the replica up now, so the shell's first prompt names the replica that answered. */
    void connect() throws CommandFailure {
        call("connect", false, s -> null);
    }

    /**
     * Makes {@code call} on the current replica, failing over while allowed and the replica was
     * certainly not reached.
     *
     * @param what     the command as typed, for error messages
     * @param mayApply whether the call changes state, so that losing contact leaves its outcome unknown
     */
    <T> T call(String what, boolean mayApply, RemoteCall<T> call) throws CommandFailure {
        int attempts = failover ? candidates.size() : 1;
        boolean staleRetried = false;
        Unreached last = null;
        for (int i = 0; i < attempts; i++) {
            Endpoint endpoint = endpoint();
            boolean cached = service != null;
            try {
                return callOnce(endpoint, what, mayApply, call);
            } catch (Unreached u) {
                last = u;
                if (cached && !staleRetried) {
                    // A stub from before a restart of the replica: look it up afresh before moving on.
                    staleRetried = true;
                    i--;
                    continue;
                }
                if (i + 1 < attempts) {
                    current = (current + 1) % candidates.size();
                    err.println(endpoint.describe() + " is unreachable (" + u.getMessage() + "); trying "
                            + endpoint().describe());
                    err.flush();
                }
            }
        }
        if (attempts > 1) {
            current = 0;   // next time, start again from the chosen replica
        }
        throw new CommandFailure(unreachableMessage(last, attempts));
    }

    /**
     * A tagged operation's final answer, with every attempt it took: what the client may tell the
     * user ({@link Attempts#verdict()}) depends on all of them, not on the last replica's alone.
     */
    record Outcome(Reply reply, Attempts attempts) {
    }

    /**
     * Runs a tagged replicated operation until some replica gives it a final answer or the budget
     * is spent. An attempt that gets no answer (the replica is unreachable, contact is lost
     * mid-call) or whose status says to try elsewhere ({@link Reply.Status#retryElsewhere()}: the
     * replica could not take it, or took it and stopped before answering) is repeated with the
     * same command (same client id and sequence number, so the cluster applies it once) on the
     * next replica in id order, wrapping around (the same address with {@code --connect}), pausing
     * a little longer after each full round that all failed. Each attempt asks the replica to
     * answer within the time still left, and is abandoned if it has not answered shortly after
     * that, or after the attempt limit if that comes first: a replica that is frozen (SIGSTOP) or
     * cut off holds the client no longer than the cluster takes to give up on it and change views,
     * so the same command then goes to the next replica, and the abandoned attempt counts as one
     * that may have reached its replica. The connection stays on the replica that answered.
     * Nothing here reads a reply's text.
     *
     * @param what         the command as typed, for notices and errors
     * @param commandFor   the command to send, given the milliseconds the replica may take
     * @param budgetMillis the whole time the operation may take, retries included (longer only
     *                     while {@code --wait} still lets the client wait for a replica to appear)
     * @return the final answer (OK, FAILED, REFUSED, NOT_APPLIED or TIMEOUT) and the attempts it took
     * @throws CommandFailure when no replica answered in time, naming each one tried and why, and
     *                        saying whether the operation may still be applied
     */
    Outcome execute(String what, LongFunction<Command> commandFor, long budgetMillis) throws CommandFailure {
        return execute(what, commandFor, budgetMillis, System.nanoTime(), null);
    }

    /** Where {@link #executeAsync} reports: the final answer, or the {@link CommandFailure} (or bug) that ended it. */
    @FunctionalInterface
    interface Done {
        void done(Outcome outcome, Throwable failure);
    }

    /**
     * {@link #execute} without waiting: {@code done} hears the outcome. When this connection holds
     * its replica's stub, the first attempt goes as one operation of a combined call
     * ({@link CallCombiner#submit}) and its end is heard on the thread that made the call; unless
     * RMI's read timeout already bounds that call ({@link #direct}), a timer gives up on it after
     * the attempt limit, as {@link #attempt} does. Anything else — no stub yet, no answer, an
     * answer that says to try elsewhere — goes on as {@link #execute} does, on a thread of its
     * own, with the same command: the first attempt counts as its first.
     */
    void executeAsync(String what, LongFunction<Command> commandFor, long budgetMillis, Done done) {
        long started = System.nanoTime();
        ReplicaService s = service;
        if (s == null) {
            continueElsewhere(what, commandFor, budgetMillis, started, null, done);
            return;
        }
        CallCombiner combiner = combinerFor(s);
        Endpoint endpoint = endpoint();
        long end = endOf(started, budgetMillis);
        long left = Math.max(1, millisUntil(end));
        Command command = commandFor.apply(Math.min(left, budgetMillis));
        // Whoever comes first, the answer or the timer, goes on; the other does nothing.
        AtomicBoolean settled = new AtomicBoolean();
        ScheduledFuture<?> timer = null;
        if (!direct) {
            long limitMillis = Math.min(attemptMillis, left + ANSWER_GRACE_MILLIS);
            timer = TIMER.schedule(() -> {
                if (settled.compareAndSet(false, true)) {
                    NoAnswer silent = new NoAnswer(endpoint.describe() + " did not answer within "
                            + Seconds.format(limitMillis), true, false);
                    continueElsewhere(what, commandFor, budgetMillis, started, new FirstTry(s, null, silent), done);
                }
            }, limitMillis, TimeUnit.MILLISECONDS);
        }
        ScheduledFuture<?> limit = timer;
        combiner.submit(s, command, (reply, failure) -> {
            if (!settled.compareAndSet(false, true)) {
                return;         // given up on already
            }
            if (limit != null) {
                limit.cancel(false);
            }
            if (failure == null) {
                Attempts attempts = new Attempts();
                if (!attempts.retryAfter(endpoint.name(), reply.status())) {
                    done.done(new Outcome(reply, attempts), null);
                    return;
                }
            }
            continueElsewhere(what, commandFor, budgetMillis, started, new FirstTry(s, reply, failure), done);
        });
    }

    /** Gives up on first attempts of {@link #executeAsync} that RMI's read timeout does not bound. */
    private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, task -> {
        Thread t = new Thread(task, "lamportkv-client-attempt-limit");
        t.setDaemon(true);
        return t;
    });

    static {
        TIMER.setRemoveOnCancelPolicy(true);    // a cancelled limit goes at once, not after the attempt limit
    }

    /** The first attempt of {@link #executeAsync}, replayed as the first of {@link #execute}'s loop. */
    private record FirstTry(ReplicaService service, Reply reply, Throwable failure) {
    }

    private void continueElsewhere(String what, LongFunction<Command> commandFor, long budgetMillis, long started,
                                   FirstTry first, Done done) {
        CONTINUATIONS.execute(() -> {
            Outcome outcome;
            try {
                outcome = execute(what, commandFor, budgetMillis, started, first);
            } catch (CommandFailure | RuntimeException | Error e) {
                done.done(null, e);
                return;
            }
            done.done(outcome, null);
        });
    }

    /** Runs what {@link #executeAsync} could not finish without waiting. */
    private static final ExecutorService CONTINUATIONS = Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "lamportkv-client-retry");
        t.setDaemon(true);
        return t;
    });

    /** When an operation started at {@code started} must end: its budget, or longer while {@code --wait} lasts. */
    private long endOf(long started, long budgetMillis) {
        long budgetEnd = started + budgetMillis * 1_000_000;
        return waitDeadline - budgetEnd > 0 ? waitDeadline : budgetEnd;
    }

    private Outcome execute(String what, LongFunction<Command> commandFor, long budgetMillis, long started, FirstTry firstTry)
            throws CommandFailure {
        FirstTry replayed = firstTry;
        long budgetEnd = started + budgetMillis * 1_000_000;
        long end = endOf(started, budgetMillis);
        boolean waiting = end - budgetEnd > 0;
        int first = current;
        int round = movable ? candidates.size() : 1;
        Attempts attempts = new Attempts();
        boolean anyAnswered = false;
        // Per replica, why it gave no final answer; a reason that leaves the outcome open is kept
        // over later ones, so that the message explains its verdict.
        Map<Endpoint, String> reasons = new LinkedHashMap<>();
        Set<Endpoint> uncertain = new HashSet<>();
        long pause = FIRST_PAUSE_MILLIS;
        int failedThisRound = 0;
        boolean refreshed = false;
        while (true) {
            Endpoint endpoint = endpoint();
            String reason;
            boolean open;
            try {
                Reply reply;
                if (replayed != null) {
                    FirstTry f = replayed;
                    replayed = null;
                    reply = replay(what, endpoint, f);
                } else {
                    reply = attempt(what, endpoint, left -> commandFor.apply(Math.min(left, budgetMillis)), end);
                }
                if (!attempts.retryAfter(endpoint.name(), reply.status())) {
                    return new Outcome(reply, attempts);
                }
                anyAnswered = true;
                service = null;
                reason = reply.text();
                open = !reply.status().definite();
            } catch (NoAnswer e) {
                attempts.noReply(endpoint.name(), e.mayHaveReached);
                if (e.staleStub && !refreshed) {
                    refreshed = true;   // a stub from before the replica restarted: look it up again, quietly
                    continue;
                }
                reason = e.getMessage();
                open = e.mayHaveReached;
            } catch (Broken e) {
                attempts.noReply(endpoint.name(), e.mayHaveRun);
                throw new CommandFailure(e.getMessage() + attempts.verdictWords(""), attempts.verdict());
            }
            if (open || !uncertain.contains(endpoint)) {
                reasons.put(endpoint, reason);
            }
            if (open) {
                uncertain.add(endpoint);
            }
            if (movable) {
                current = (current + 1) % candidates.size();
                service = null;
            }
            if (++failedThisRound == round) {
                failedThisRound = 0;
                sleep(Math.min(pause, Math.max(0, millisUntil(end))));
                pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
            }
            if (millisUntil(end) <= 0) {
                current = first;   // nobody answered: the next command starts from the same replica again
                service = null;
                String verdict = attempts.verdict() == Attempts.Verdict.MAY_BE_APPLIED
                        ? Attempts.MAY_STILL_BE_APPLIED
                        : anyAnswered ? "; not applied: no replica could take it" : "; not applied: no replica was reached";
                throw new CommandFailure("timed out after " + Seconds.format(budgetMillis)
                        + (waiting ? " and --wait " + Seconds.format(waitNanos / 1_000_000) : "")
                        + ": no replica answered (" + String.join("; ", reasons.values()) + ")" + verdict,
                        attempts.verdict());
            }
            err.println("retrying '" + what + "' on " + endpoint().describe() + ": " + reason);
            err.flush();
        }
    }

    /**
     * A long poll ({@link ReplicaService#watch}, {@link ReplicaService#lockStanding}) on the current
     * replica, on a worker thread, so that it waits at most {@code limitMillis} and an interrupt
     * of the caller ends it at once. Polls only read: on any failure the connection moves on to
     * the next replica (when it may), and the caller asks again.
     *
     * @throws CommandFailure naming the replica and why it gave no answer
     * @throws InterruptedException if the caller was interrupted while it waited
     */
    <T> T poll(String what, RemoteCall<T> call, long limitMillis) throws CommandFailure, InterruptedException {
        Endpoint endpoint = endpoint();
        ReplicaService cached = service;
        Future<Polled<T>> answer = ATTEMPTS.submit(() -> {
            ReplicaService s = cached != null ? cached : lookupOnce(endpoint);
            return new Polled<>(s, call.call(s));
        });
        try {
            Polled<T> a = answer.get(limitMillis, TimeUnit.MILLISECONDS);
            service = a.service();
            return a.value();
        } catch (InterruptedException e) {
            answer.cancel(true);
            throw e;
        } catch (TimeoutException e) {
            answer.cancel(true);
            moveOn();
            throw new CommandFailure(endpoint.describe() + " did not answer '" + what + "' within "
                    + Seconds.format(limitMillis));
        } catch (ExecutionException e) {
            moveOn();
            Throwable failure = e.getCause();
            String why = failure instanceof Unreached u ? u.getMessage()
                    : failure instanceof RemoteException r ? cause(r) : String.valueOf(failure);
            throw new CommandFailure(endpoint.describe() + " gave no answer to '" + what + "' (" + why + ")");
        }
    }

    private record Polled<T>(ReplicaService service, T value) {
    }

    /** The position of {@link #endpoint()} among the candidates, the chosen one at 0. */
    int position() {
        return current;
    }

    /** Makes the candidate at {@code position} the next one to try (keeping its stub if it already is). */
    void moveTo(int position) {
        if (position < 0 || position >= candidates.size()) {
            throw new IllegalArgumentException("no candidate at " + position + " of " + candidates.size());
        }
        if (position != current) {
            current = position;
            service = null;
        }
    }

    /** Forgets the current replica's stub and, if this connection may move, goes on to the next replica. */
    void moveOn() {
        service = null;
        if (movable) {
            current = (current + 1) % candidates.size();
        }
    }

    /** How many replicas this connection may try. */
    int candidates() {
        return movable ? candidates.size() : 1;
    }

    /** Why an attempt got no answer, in words naming the replica. */
    private static final class NoAnswer extends Exception {
        private static final long serialVersionUID = 1L;
        /** False only if the call certainly never reached the replica's operation. */
        final boolean mayHaveReached;
        /** Whether a cached stub failed without reaching its object: the replica may just have restarted. */
        final boolean staleStub;

        NoAnswer(String reason, boolean mayHaveReached, boolean staleStub) {
            super(reason, null, false, false);
            this.mayHaveReached = mayHaveReached;
            this.staleStub = staleStub;
        }
    }

    /**
     * The replica answered the call with an exception rather than a reply, or the wait was
     * interrupted: reported, not retried (every attempt would get the same).
     */
    private static final class Broken extends Exception {
        private static final long serialVersionUID = 1L;
        /** Whether the operation may have run (a failure inside the replica, not a refusal of its arguments). */
        final boolean mayHaveRun;

        Broken(String message, boolean mayHaveRun) {
            super(message, null, false, false);
            this.mayHaveRun = mayHaveRun;
        }
    }

    private record Answer(ReplicaService service, Reply reply) {
    }

    /**
     * Sends the command to {@code endpoint} (looking it up first if needed) on a worker thread,
     * giving the replica the time left until {@code end}, and waits for the answer at most a
     * moment longer, and at most the attempt limit, so that neither a connect or handshake that
     * hangs nor a frozen replica can hold the client long past its budget or keep it from the
     * other replicas.
     */
    private Reply attempt(String what, Endpoint endpoint, LongFunction<Command> commandFor, long end)
            throws NoAnswer, Broken {
        if (direct) {
            return attemptHere(what, endpoint, commandFor, end);
        }
        ReplicaService cached = service;
        long limitMillis = Math.min(attemptMillis, Math.max(1, millisUntil(end)) + ANSWER_GRACE_MILLIS);
        Future<Answer> answer = ATTEMPTS.submit(() -> {
            ReplicaService s = cached != null ? cached : lookupOnce(endpoint);
            return new Answer(s, CallCombiner.of(s).execute(s, commandFor.apply(Math.max(1, millisUntil(end)))));
        });
        try {
            Answer a = answer.get(limitMillis, TimeUnit.MILLISECONDS);
            service = a.service();
            return a.reply();
        } catch (TimeoutException e) {
            answer.cancel(true);
            service = null;
            throw new NoAnswer(endpoint.describe() + " did not answer within " + Seconds.format(limitMillis), true, false);
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new Broken("interrupted while waiting for " + endpoint.describe(), true);
        } catch (ExecutionException e) {
            throw failed(what, endpoint, cached, e.getCause());
        }
    }

    /**
     * The attempt on the caller's own thread, when RMI's read timeout already ends a call within
     * the attempt limit ({@link #direct}): no hand-off to a worker and back, which a closed-loop
     * benchmark pays on every operation.
     */
    private Reply attemptHere(String what, Endpoint endpoint, LongFunction<Command> commandFor, long end)
            throws NoAnswer, Broken {
        ReplicaService cached = service;
        try {
            ReplicaService s = cached != null ? cached : lookupOnce(endpoint);
            Reply reply = combinerFor(s).execute(s, commandFor.apply(Math.max(1, millisUntil(end))));
            service = s;
            return reply;
        } catch (Unreached | RemoteException | RuntimeException e) {
            throw failed(what, endpoint, cached, e);
        }
    }

    /** The combiner of {@code s}'s replica, kept beside the stub it was found for. */
    private CallCombiner combinerFor(ReplicaService s) {
        if (s != combinedFor) {
            combiner = CallCombiner.of(s);
            combinedFor = s;
        }
        return combiner;
    }

    /** The first attempt's end, as {@link #attemptHere} would have had it. */
    private Reply replay(String what, Endpoint endpoint, FirstTry first) throws NoAnswer, Broken {
        if (first.failure() == null) {
            service = first.service();
            return first.reply();
        }
        if (first.failure() instanceof NoAnswer timedOut) {
            service = null;
            throw timedOut;
        }
        throw failed(what, endpoint, first.service(), first.failure());
    }

    /** What a failed attempt means: no answer (try the next replica) or broken (report it). */
    private IllegalStateException failed(String what, Endpoint endpoint, ReplicaService cached, Throwable failure)
            throws NoAnswer, Broken {
        if (failure instanceof Unreached u) {
            throw new NoAnswer(endpoint.describe() + " is unreachable (" + u.getMessage() + ")", false, false);
        }
        if (failure instanceof RemoteException r) {
            if (answeredWithAnError(r)) {
                // A ServerException: it refused the arguments (or threw a checked one); a ServerError: it broke inside.
                throw new Broken(endpoint.describe() + " failed on '" + what + "': " + cause(r), r instanceof ServerError);
            }
            service = null;
            if (notReached(r)) {
                // Not sent at all (the call before it failed): no stale stub to refresh, just the next replica.
                throw new NoAnswer(endpoint.describe() + " is unreachable (" + reason(r) + ")", false,
                        cached != null && !(r instanceof CallCombiner.NotSent));
            }
            throw new NoAnswer("lost contact with " + endpoint.describe() + " (" + cause(r) + ")", true, false);
        }
        if (failure instanceof RuntimeException) {
            // RMI rethrows the replica's own unchecked exceptions here: a bug on its side, reported in one line.
            throw new Broken(endpoint.describe() + " failed on '" + what + "': " + failure
                    + " (a bug in the replica; its log has the trace)", true);
        }
        if (failure instanceof Error error) {
            throw error;
        }
        return new IllegalStateException("unexpected failure of a call to " + endpoint.describe(), failure);
    }

    /**
     * Whether the replica itself answered the call with an exception — it could not read the
     * arguments (e.g. its deserialization filter refused them), or failed inside — rather than
     * contact being lost: every attempt would get the same, so it is reported, not retried.
     */
    private static boolean answeredWithAnError(RemoteException e) {
        return e instanceof ServerException || e instanceof ServerError;
    }

    /** Whether the call certainly never ran: no connection was made, or the object is gone. */
    private static boolean notReached(RemoteException e) {
        return RemoteCalls.certainlyNotReached(e);
    }

    private static long millisUntil(long nanoTime) {
        return (nanoTime - System.nanoTime()) / 1_000_000;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private <T> T callOnce(Endpoint endpoint, String what, boolean mayApply, RemoteCall<T> call)
            throws Unreached, CommandFailure {
        if (service == null) {
            service = lookup(endpoint);
        }
        try {
            return call.call(service);
        } catch (RemoteException e) {
            if (answeredWithAnError(e)) {
                throw new CommandFailure(endpoint.describe() + " failed on '" + what + "': " + cause(e));
            }
            service = null;
            if (notReached(e)) {
                throw new Unreached(endpoint, reason(e));
            }
            throw new CommandFailure("lost contact with " + endpoint.describe() + " during '" + what + "' ("
                    + cause(e) + ")" + (mayApply ? "; the operation may or may not have been applied" : ""),
                    mayApply ? Attempts.Verdict.MAY_BE_APPLIED : Attempts.Verdict.NOT_APPLIED);
        } catch (RuntimeException e) {
            // RMI rethrows the replica's own unchecked exceptions here: a bug on its side, reported in one line.
            throw new CommandFailure(endpoint.describe() + " failed on '" + what + "': " + e
                    + " (a bug in the replica; its log has the trace)");
        }
    }

    /** The replica's stub, retrying until the {@code --wait} deadline. A failed lookup sent no operation. */
    private ReplicaService lookup(Endpoint endpoint) throws Unreached {
        while (true) {
            try {
                return lookupOnce(endpoint);
            } catch (Unreached u) {
                if (System.nanoTime() - waitDeadline >= 0) {
                    throw u;
                }
                try {
                    Thread.sleep(WAIT_STEP_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw u;
                }
            }
        }
    }

    private static ReplicaService lookupOnce(Endpoint endpoint) throws Unreached {
        try {
            return Rmi.replicaService(endpoint.host(), endpoint.port());
        } catch (NotBoundException e) {
            throw new Unreached(endpoint, "nothing bound as " + ReplicaService.NAME
                    + " in its registry; is it a lamportkv replica, still starting?");
        } catch (RemoteException e) {
            throw new Unreached(endpoint, reason(e));
        }
    }

    private String unreachableMessage(Unreached last, int attempts) {
        String message = "cannot reach " + last.endpoint.describe() + ": " + last.getMessage();
        if (waitNanos > 0) {
            message += " (waited " + Seconds.format(Duration.ofNanos(waitNanos).toMillis()) + ")";
        }
        if (attempts > 1) {
            message += "; no replica answered: is the cluster running? (./run-cluster.sh or ./run-replica.sh ID)";
        }
        return message;
    }

    private static String reason(RemoteException e) {
        return e instanceof NoSuchObjectException ? "no such object: the replica was restarted or is stopping"
                : cause(e);
    }

    /** The innermost cause in words; a bare EOF is a connection the replica's side closed. */
    private static String cause(Throwable e) {
        String message = Rmi.rootMessage(e);
        return message.equals(EOFException.class.getSimpleName()) ? "connection closed by the replica's side" : message;
    }
}
