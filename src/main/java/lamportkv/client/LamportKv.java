package lamportkv.client;

import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ConfigException;
import lamportkv.core.Changes;
import lamportkv.core.Operation;
import lamportkv.core.OperationException;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.Transport;

/**
 * The Java client of a lamportkv cluster: the dictionary's operations, compare-and-set,
 * revisions, watches and fenced locks. The shell ({@code run-client.sh}) is built on it.
 *
 * <pre>{@code
 * try (LamportKv kv = LamportKv.connect(Path.of("replicas.properties"))) {
 *     kv.set("greeting", "hello");
 *     boolean won = kv.compareAndSet("leader", null, "worker-7");   // null: absent
 *     try (Lock lock = kv.lock("jobs", Duration.ofSeconds(10))) {
 *         long fence = lock.token();                                // pass it to what the lock guards
 *     }
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> One client may be shared by any number of threads; their operations are in
 * flight together. Each thread's operation borrows a <em>lane</em>: a client id of its own with
 * its own sequence numbers and its own link to a replica, so the replicas' exactly-once table
 * (one last result per client id) holds for every lane.
 *
 * <p><b>One replica for all threads.</b> By default ({@link Routing#FIRST}) every lane sends to
 * the same replica: the first of the configuration, or the one the process moved to when that
 * one stopped answering. Every client process does the same, so the cluster's operations have
 * one origin and its order stays in one piece: each change of origin in the order costs a force
 * and a message hop before the next origin may execute (see {@code core.Admission}), and one
 * origin's batches follow each other with none. {@link Routing#SPREAD} spreads the lanes over
 * the replicas instead.
 *
 * <p><b>Retries and outcomes.</b> An operation that gets no answer, or a "try elsewhere", is sent
 * again with the same client id and sequence number to the next replica in id order until the
 * timeout: the cluster applies it at most once. It then either returns its result or throws one
 * of three {@link KvException}s: {@link OperationFailedException} (ordered, failed, changed
 * nothing), {@link NotAppliedException} (certainly not applied), {@link OutcomeUnknownException}
 * (may still be applied). Bad input ({@code "bad key"}, a value too long) is refused here, before
 * anything is sent, with an {@link IllegalArgumentException}.
 *
 * <p>TLS and the timeout's default come from the same properties file as the replicas'.
 */
public final class LamportKv implements AutoCloseable {
    /** Which replicas a client's threads send their operations to. */
    public enum Routing {
        /**
         * All lanes to one replica, the first of the configuration; when an operation had to move
         * on to another replica to be answered, the client's other lanes follow it there (they
         * do not each wait for the silent one first), and stay until that one fails in turn.
         */
        FIRST,
        /** Lanes start at the replicas in turn (the first lane at the first replica); each fails over on its own. */
        SPREAD
    }

    /** How long one operation may take, retries included, unless {@link #connect(Path, Duration)} says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long a watch's or a lock wait's long poll lasts before it asks again: 10 s, or less if
     * the JVM's RMI read timeout would cut the call off sooner (the shell's short {@code --timeout}).
     */
    static long pollMillis() {
        return pollMillis(Long.getLong(Client.RESPONSE_TIMEOUT_PROPERTY));
    }

    static long pollMillis(Long rmiReadTimeoutMillis) {
        long poll = 10_000;
        if (rmiReadTimeoutMillis != null && rmiReadTimeoutMillis > 0) {
            poll = Math.min(poll, Math.max(100, rmiReadTimeoutMillis - Connection.ANSWER_GRACE_MILLIS - 500));
        }
        return poll;
    }
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    /** One client id with its own sequence numbers and its own connection: used by one thread at a time. */
    static final class Lane {
        final Connection connection;
        final long clientId;
        long nextSeq = 1;

        Lane(Connection connection, long clientId) {
            this.connection = connection;
            this.clientId = clientId;
        }
    }

    private final Supplier<Connection> connections;
    /**
     * With {@link Routing#FIRST}: the position, in the configuration's order, of the replica every
     * lane starts its operations at; -1 when each lane keeps its own ({@link Routing#SPREAD}, the shell).
     */
    private final java.util.concurrent.atomic.AtomicInteger home;
    private final long timeoutMillis;
    /** Idle lanes, most recently used first: a client used by one thread keeps one lane (and its replica). */
    private final Deque<Lane> idle = new ConcurrentLinkedDeque<>();
    private final SecureRandom random = new SecureRandom();
    private final Renewals renewals = new Renewals();
    private final java.util.concurrent.atomic.LongAdder retries = new java.util.concurrent.atomic.LongAdder();
    private volatile boolean closed;

    LamportKv(Supplier<Connection> connections, long timeoutMillis) {
        this(connections, timeoutMillis, false);
    }

    /** @param shareHome whether the lanes follow one another ({@link Routing#FIRST}): their connections must list the same replicas in the same order */
    private LamportKv(Supplier<Connection> connections, long timeoutMillis, boolean shareHome) {
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("the timeout must be positive: " + timeoutMillis + " ms");
        }
        this.connections = connections;
        this.timeoutMillis = timeoutMillis;
        this.home = new java.util.concurrent.atomic.AtomicInteger(shareHome ? 0 : -1);
    }

    /**
     * A client of the cluster that {@code config} describes (the replicas' {@code replicas.properties}),
     * with the {@link #DEFAULT_TIMEOUT}.
     *
     * @throws IllegalArgumentException naming what is wrong with the file
     */
    public static LamportKv connect(Path config) {
        return connect(config, DEFAULT_TIMEOUT);
    }

    /**
     * As {@link #connect(Path)}, with {@code timeout} for each operation, retries included.
     *
     * @throws IllegalArgumentException naming what is wrong with the file or the timeout
     */
    public static LamportKv connect(Path config, Duration timeout) {
        try {
            return connect(ClusterConfig.load(config), timeout);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * A client of {@code cluster} whose threads all send to one replica ({@link Routing#FIRST}).
     *
     * @throws IllegalArgumentException naming what is wrong with the TLS settings or the timeout
     */
    public static LamportKv connect(ClusterConfig cluster, Duration timeout) {
        return connect(cluster, timeout, Routing.FIRST);
    }

    /**
     * A client of {@code cluster} that routes its threads' operations as {@code routing} says;
     * every lane fails over in id order.
     *
     * @throws IllegalArgumentException naming what is wrong with the TLS settings or the timeout
     */
    public static LamportKv connect(ClusterConfig cluster, Duration timeout, Routing routing) {
        Objects.requireNonNull(routing, "routing");
        try {
            Transport.useClientConfig(cluster);     // TLS when tls.enabled=true
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        List<Endpoint> replicas = cluster.replicas().stream().map(Endpoint::of).toList();
        long attempt = Client.attemptLimitMillis(cluster.viewSuspectMillis());
        java.util.concurrent.atomic.AtomicInteger lanes = new java.util.concurrent.atomic.AtomicInteger();
        boolean spread = routing == Routing.SPREAD;
        return new LamportKv(() -> {
            int first = spread ? Math.floorMod(lanes.getAndIncrement(), replicas.size()) : 0;
            List<Endpoint> rotated = new java.util.ArrayList<>(replicas.subList(first, replicas.size()));
            rotated.addAll(replicas.subList(0, first));
            return new Connection(rotated, true, true, Duration.ZERO, attempt, QUIET);
        }, timeout.toMillis(), !spread);
    }

    // ---- the dictionary ------------------------------------------------------------------------

    /** {@code set KEY VALUE}: stores VALUE, a number if it is a plain decimal, else text. */
    public void set(String key, String value) {
        execute("set", key, value);
    }

    /** {@code get KEY}: the value as the shell prints it; empty if absent (or if it is the text {@code (nil)}). */
    public Optional<String> get(String key) {
        String v = execute("get", key);
        return v.equals(Operation.Get.NIL) ? Optional.empty() : Optional.of(v);
    }

    /** {@code add KEY N}: the new value. */
    public BigDecimal add(String key, BigDecimal n) {
        return new BigDecimal(execute("add", key, n.toPlainString()));
    }

    /** {@code mult KEY N}: the new value. */
    public BigDecimal mult(String key, BigDecimal n) {
        return new BigDecimal(execute("mult", key, n.toPlainString()));
    }

    /** {@code del KEY}: whether it existed. */
    public boolean delete(String key) {
        return execute("del", key).equals("1");
    }

    /**
     * {@code cas KEY EXPECTED NEW}: stores {@code value} only if KEY holds {@code expected} (as
     * {@link #get} returns it; {@code null} for absent). Linearizable like every operation.
     *
     * @return whether it stored
     */
    public boolean compareAndSet(String key, String expected, String value) {
        return execute("cas", key, expected == null ? Operation.Get.NIL : expected, value).equals("1");
    }

    /** {@code rev}: the current revision, the position in the total order of this very read. */
    public long revision() {
        return Long.parseLong(execute("rev"));
    }

    /** {@code rev KEY}: the revision of KEY's last change (a deletion too), or 0 if it was never written. */
    public long revision(String key) {
        return Long.parseLong(execute("rev", key));
    }

    /**
     * Runs one command as the shell would ({@code "add", "x", "5"}) and returns what it prints.
     *
     * @throws IllegalArgumentException if the command is not a replicated operation or its input is bad
     * @throws KvException if it did not succeed
     */
    public String execute(String... words) {
        return execute(List.of(words));
    }

    /** As {@link #execute(String...)}. */
    public String execute(List<String> words) {
        check(words);
        Lane lane = borrow();
        try {
            return text(words, run(lane, words));
        } finally {
            giveBack(lane);
        }
    }

    // ---- without waiting ---------------------------------------------------------------------

    /**
     * As {@link #execute(List)}, without waiting: the future completes with what the shell would
     * print, or exceptionally with the exception {@code execute} would throw (the same retries,
     * timeout and at-most-once). Bad input is refused at once, with an {@link IllegalArgumentException}.
     *
     * <p>Many operations in flight cost no thread each: they go in the combined calls that the
     * lanes share, and the future completes on one of the library's threads, never the caller's:
     * normally the one that made the call (one that retries on another replica, after a failed
     * first attempt). So what depends on it must not block there — the next call to the replica
     * waits for it; use the {@code ...Async} methods of {@link CompletableFuture} with an executor
     * of yours for blocking work. An operation started from there goes in that next call, so a
     * chain of operations, each started when the one before it ends, costs no thread hand-off.
     */
    public CompletableFuture<String> executeAsync(List<String> words) {
        check(words);
        Lane lane = borrow();
        CompletableFuture<String> result = new CompletableFuture<>();
        Tagged tagged;
        try {
            tagged = tag(lane, words);
        } catch (RuntimeException e) {
            giveBack(lane);
            throw e;
        }
        lane.connection.executeAsync(String.join(" ", words), tagged.commandFor(), timeoutMillis, (outcome, failure) -> {
            String text = null;
            Throwable thrown = failure instanceof CommandFailure e ? verdict(e) : failure;
            if (failure == null) {
                try {
                    text = text(words, ended(tagged, outcome));
                } catch (RuntimeException e) {
                    thrown = e;
                }
            }
            giveBack(lane);         // first: an operation started by the future's dependents may take this lane again
            if (thrown == null) {
                result.complete(text);
            } else {
                result.completeExceptionally(thrown);
            }
        });
        return result;
    }

    /** As {@link #executeAsync(List)}. */
    public CompletableFuture<String> executeAsync(String... words) {
        return executeAsync(List.of(words));
    }

    /** {@code set KEY VALUE} without waiting: as {@link #set}, through {@link #executeAsync(List)}. */
    public CompletableFuture<Void> setAsync(String key, String value) {
        return executeAsync("set", key, value).thenApply(printed -> null);
    }

    // ---- watches -------------------------------------------------------------------------------

    /**
     * Calls {@code onChange}, on a thread of the watch's own, for every change to a key matching
     * {@code pattern} (a key, or a prefix ending in {@code *}) at revision {@code fromRevision}
     * or later: once each, in revision order, with no gap, also when the replica it reads from
     * fails (it goes on at another from the next revision). It ends at {@link Watch#close()}, or
     * when it cannot go on ({@link Watch#failure()}: e.g. the revision is older than the replicas
     * keep).
     */
    public Watch watch(String pattern, long fromRevision, Consumer<Change> onChange) {
        Objects.requireNonNull(onChange, "onChange");
        WatchCursor cursor = cursor(pattern, fromRevision);
        return Watch.start(cursor, onChange);
    }

    /** A cursor over a watch's changes, read in the caller's thread: the shell's {@code watch}. */
    WatchCursor cursor(String pattern, long fromRevision) {
        try {
            Changes.pattern(pattern);
        } catch (OperationException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (fromRevision < 1) {
            throw new IllegalArgumentException("a watch starts at revision 1 or later: " + fromRevision);
        }
        return new WatchCursor(connections.get(), pattern, fromRevision);
    }

    // ---- locks ---------------------------------------------------------------------------------

    /**
     * Waits until lock {@code name} is free, then holds it for {@code ttl}, renewed in the
     * background every third of it until {@link Lock#close()}. Waits at most an hour.
     *
     * @throws NotAppliedException if the wait ran out; the request left the queue
     */
    public Lock lock(String name, Duration ttl) {
        return tryLock(name, ttl, Duration.ofMillis(Operation.DEFAULT_LOCK_WAIT_MILLIS))
                .orElseThrow(() -> new NotAppliedException("lock " + name + " was not granted within an hour"));
    }

    /**
     * As {@link #lock}, waiting at most {@code wait}: empty if the lock was not granted by then (the
     * request leaves the queue, in the order).
     */
    public Optional<Lock> tryLock(String name, Duration ttl, Duration wait) {
        Lock.Grant grant = acquire(name, ttl.toMillis(), wait.toMillis(), () -> { });
        return grant == null ? Optional.empty() : Optional.of(new Lock(this, name, grant.token(), ttl.toMillis(), renewals));
    }

    /**
     * Queues a lock request and waits for its grant, renewing its place in line every third of the
     * ttl (a waiter that stops renewing leaves the queue). Returns the grant, or null if the wait
     * ran out or the request left the queue; an interrupt takes the request out of the queue.
     *
     * @param waiting told once, if the request has to wait
     */
    Lock.Grant acquire(String name, long ttlMillis, long waitMillis, Runnable waiting) {
        List<String> words = List.of("lock", name, seconds(ttlMillis), seconds(waitMillis));
        check(words);
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        String result = execute(words);
        long token = Long.parseLong(result.substring(result.indexOf(' ') + 1));
        if (result.startsWith("granted ")) {
            return new Lock.Grant(token);
        }
        waiting.run();
        long renewEvery = Math.max(1, ttlMillis / 3);
        long lastRenew = System.nanoTime();
        Connection polls = connections.get();
        try {
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    leave(name, token);
                    return null;
                }
                long sinceRenew = (System.nanoTime() - lastRenew) / 1_000_000;
                if (sinceRenew >= renewEvery) {
                    if (execute("renew", name, String.valueOf(token)).equals("0")) {
                        return null;                            // neither holds nor waits: its place lapsed
                    }
                    lastRenew = System.nanoTime();
                    sinceRenew = 0;
                }
                Standing s = standing(polls, name, token, Math.min(left, Math.min(renewEvery - sinceRenew, pollMillis())));
                if (s == Standing.HOLDS) {
                    return new Lock.Grant(token);
                }
                if (s == Standing.NONE) {
                    return null;
                }
            }
        } catch (InterruptedException e) {
            leave(name, token);
            Thread.currentThread().interrupt();
            throw new NotAppliedException("interrupted while waiting for lock " + name + "; left its queue");
        }
    }

    enum Standing { HOLDS, WAITS, NONE, UNKNOWN }

    /** Where {@code token} stands with {@code name}, as a replica that has applied the request sees it. */
    private Standing standing(Connection polls, String name, long token, long waitMillis) throws InterruptedException {
        Command query = Command.of(0, 0, List.of("standing", name, String.valueOf(token)), Math.max(1, waitMillis));
        try {
            Reply r = polls.poll("standing " + name, s -> s.lockStanding(query), waitMillis + Connection.ANSWER_GRACE_MILLIS);
            if (r.status() == Reply.Status.REFUSED) {
                throw new IllegalArgumentException(r.text());
            }
            if (r.status() != Reply.Status.OK) {
                polls.moveOn();
                Thread.sleep(50);
                return Standing.UNKNOWN;
            }
            return r.text().startsWith("holds") ? Standing.HOLDS : r.text().equals("waits") ? Standing.WAITS : Standing.NONE;
        } catch (CommandFailure e) {
            Thread.sleep(50);                                    // another replica next time
            return Standing.UNKNOWN;
        }
    }

    /** Takes a waiting request out of its queue (or lets go of a grant that came too late). */
    private void leave(String name, long token) {
        try {
            execute("unlock", name, String.valueOf(token));
        } catch (KvException e) {
            // Its place lapses anyway: it is renewed no more.
        }
    }

    // ---- the common path -----------------------------------------------------------------------

    /** The operation's one tagged run: the same client id and sequence number on every attempt. */
    Connection.Outcome run(Lane lane, List<String> words) {
        Tagged tagged = tag(lane, words);
        try {
            return ended(tagged, lane.connection.execute(String.join(" ", words), tagged.commandFor(), timeoutMillis));
        } catch (CommandFailure e) {
            throw verdict(e);
        }
    }

    /** An operation on its lane, with its sequence number, and the replica position it started at (-1: its lane's own). */
    private record Tagged(Lane lane, long seq, List<String> words, int start) {
        LongFunction<Command> commandFor() {
            return left -> Command.of(lane.clientId, seq, words, left);
        }
    }

    /** Numbers the operation on its lane and sends the lane where the other lanes go. */
    private Tagged tag(Lane lane, List<String> words) {
        if (closed) {
            throw new IllegalStateException("this client is closed");
        }
        long seq = lane.nextSeq++;
        int start = home.get();
        if (start >= 0) {
            lane.connection.moveTo(start);
        }
        return new Tagged(lane, seq, words, start);
    }

    /** Counts the retries; answered elsewhere, the other lanes start there too (unless one moved on already). */
    private Connection.Outcome ended(Tagged tagged, Connection.Outcome outcome) {
        retries.add(outcome.attempts().count() - 1L);
        if (tagged.start() >= 0) {
            home.compareAndSet(tagged.start(), tagged.lane().connection.position());
        }
        return outcome;
    }

    private static KvException verdict(CommandFailure e) {
        return e.verdict() == Attempts.Verdict.MAY_BE_APPLIED ? new OutcomeUnknownException(e.getMessage())
                : new NotAppliedException(e.getMessage());
    }

    /** The result of a final answer, or the typed exception it means, in the words the shell prints. */
    String text(List<String> words, Connection.Outcome outcome) {
        Reply reply = outcome.reply();
        Attempts attempts = outcome.attempts();
        String msg = reply.text();
        return switch (reply.status()) {
            case OK -> msg;
            // Applied, and failed the same way everywhere: the text is the error.
            case FAILED -> throw new OperationFailedException(msg);
            // Bad input: refused, as any replica would; open only if an earlier attempt may have applied.
            case REFUSED -> throw unlessMaybeApplied(attempts, msg + attempts.verdictWords(""));
            case NOT_APPLIED -> throw unlessMaybeApplied(attempts, wholeBudget(msg) + attempts.verdictWords("; not applied"));
            case TIMEOUT -> throw new OutcomeUnknownException(wholeBudget(msg) + Attempts.MAY_STILL_BE_APPLIED);
            // Never final: the connection tries elsewhere until the budget ends, then fails itself.
            case UNAVAILABLE, ABANDONED -> throw new IllegalStateException("not a final answer: " + reply);
        };
    }

    private static KvException unlessMaybeApplied(Attempts attempts, String message) {
        return attempts.verdict() == Attempts.Verdict.MAY_BE_APPLIED ? new OutcomeUnknownException(message)
                : new NotAppliedException(message);
    }

    /** The replica counted from the last attempt; the caller asked for the whole budget. */
    private String wholeBudget(String text) {
        return text.replaceFirst("^timed out after [0-9.]+s", "timed out after " + Seconds.format(timeoutMillis));
    }

    /** Refuses bad input before anything is sent. */
    private static void check(List<String> words) {
        try {
            Operation.parse(words);
        } catch (OperationException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    Lane borrow() {
        Lane lane = idle.pollFirst();
        return lane != null ? lane : new Lane(connections.get(), newClientId());
    }

    void giveBack(Lane lane) {
        idle.offerFirst(lane);
    }

    /** The lane a single-threaded user (the shell) keeps using. */
    Lane primary() {
        Lane lane = idle.peekFirst();
        if (lane == null) {
            lane = borrow();
            giveBack(lane);
        }
        return lane;
    }

    long timeoutMillis() {
        return timeoutMillis;
    }

    /**
     * How many attempts this client sent again, to the next replica, after one that could not take
     * or finish its operation (not counting operations that ran out of time with no answer).
     */
    public long retries() {
        return retries.sum();
    }

    /** A random, non-zero id (0 means an anonymous operation, which replicas never deduplicate). */
    private long newClientId() {
        long id = 0;
        while (id == 0) {
            id = random.nextLong();
        }
        return id;
    }

    static String seconds(long millis) {
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }

    /** Stops renewing held locks (their leases then end by TTL) and refuses further operations. */
    @Override
    public void close() {
        closed = true;
        renewals.close();
        idle.clear();
    }
}
