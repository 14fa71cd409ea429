package lamportkv.bench;

import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import lamportkv.client.LamportKv;
import lamportkv.client.NotAppliedException;
import lamportkv.client.OperationFailedException;
import lamportkv.client.OutcomeUnknownException;
import lamportkv.client.Seconds;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ConfigException;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.Rmi;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;

/**
 * {@code run-client.sh bench}: closed-loop load on a running cluster, the same shape of work as
 * the etcd reference load ({@code shared/peers/etcd}), reported the same way.
 */
public final class Bench {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    /** Added to the per-operation timeout for RMI's own read timeout: the replica answers TIMEOUT first. */
    static final long RESPONSE_TIMEOUT_MARGIN_MILLIS = 5_000;
    /** RMI's default handshake wait (60 s) is far too long for a replica that accepts and never answers. */
    static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;
    /** Progress every second on a terminal (redrawn), every 5 seconds otherwise (one line each). */
    static final long TERMINAL_PROGRESS_MILLIS = 1_000;
    static final long LOG_PROGRESS_MILLIS = 5_000;
    /** How long to wait for the clients' last operations after the measurement. */
    static final long STOP_GRACE_MILLIS = 5_000;
    /** Distinct error messages kept for the summary. */
    static final int MAX_ERROR_KINDS = 50;

    private final BenchOptions.Settings settings;
    private final PrintStream out;
    private final PrintStream err;
    private final Progress progress;

    private final Recorder recorder = new Recorder(3);
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder measuredErrors = new LongAdder();
    /** The client library every bench client goes through (its retries are the bench's). */
    private LamportKv kv;
    private final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    /** Counts down as each client's chain of operations ends (without {@code --threads}). */
    private java.util.concurrent.CountDownLatch chainsEnded;
    private volatile boolean measuring;
    private volatile boolean stopping;

    private Bench(BenchOptions.Settings settings, PrintStream out, PrintStream err, boolean terminal) {
        this.settings = settings;
        this.out = out;
        this.err = err;
        this.progress = new Progress(err, terminal);
    }

    /**
     * Runs the benchmark with {@code args} (the words after {@code bench}).
     *
     * @param defaultConfig the client's configuration file, used unless {@code --config} is given
     * @return the exit status: 0, 1 (nothing succeeded, cluster unreachable), 2 (usage)
     */
    public static int run(Path defaultConfig, List<String> args, PrintStream out, PrintStream err) {
        return run(defaultConfig, args, out, err, err == System.err && Progress.stderrIsTerminal());
    }

    static int run(Path defaultConfig, List<String> args, PrintStream out, PrintStream err, boolean terminal) {
        BenchOptions options = new BenchOptions();
        CommandLine cli = new CommandLine(options);
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        try {
            CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(String[]::new));
            if (CommandLine.printHelpIfRequested(parsed)) {
                return OK;
            }
        } catch (CommandLine.ParameterException e) {
            err.println("error: " + e.getMessage() + " (see run-client.sh bench --help)");
            return USAGE;
        }
        BenchOptions.Settings settings;
        try {
            settings = options.check(defaultConfig);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return USAGE;
        }
        try {
            return new Bench(settings, out, err, terminal).run();
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int run() {
        ClusterConfig config;
        try {
            config = ClusterConfig.load(settings.config());
            lamportkv.rmi.Transport.useClientConfig(config);   // TLS when tls.enabled=true
        } catch (ConfigException e) {
            err.println("error: " + e.getMessage());
            return USAGE;
        }
        PrintStream hdr = null;
        if (settings.hdrOut() != null) {
            try {
                hdr = new PrintStream(new FileOutputStream(settings.hdrOut().toFile()), false, StandardCharsets.UTF_8);
            } catch (FileNotFoundException e) {
                err.println("error: --hdr-out: cannot write " + settings.hdrOut() + ": " + e.getMessage());
                return USAGE;
            }
        }
        try {
            return run(config, hdr);
        } finally {
            if (hdr != null) {
                hdr.close();
            }
        }
    }

    private int run(ClusterConfig config, PrintStream hdr) {
        // Read once by RMI at its first call: set before any, unless the JVM already chose (tests).
        long attemptMillis = lamportkv.client.Client.attemptLimitMillis(config.viewSuspectMillis());
        setIfAbsent("sun.rmi.transport.tcp.responseTimeout", responseTimeoutMillis(settings.timeoutMillis(), attemptMillis));
        setIfAbsent("sun.rmi.transport.tcp.handshakeTimeout", Math.min(HANDSHAKE_TIMEOUT_MILLIS, attemptMillis));

        List<ReplicaAddress> replicas = config.replicas();
        for (ReplicaAddress replica : replicas) {
            try {
                Rmi.replicaService(replica.host(), replica.port());     // every replica up before the load starts
            } catch (RemoteException | NotBoundException e) {
                err.println("error: cannot reach " + replica + ": " + Rmi.rootMessage(e));
                return FAILED;
            }
        }
        kv = LamportKv.connect(config, java.time.Duration.ofMillis(settings.timeoutMillis()),
                settings.spread() ? LamportKv.Routing.SPREAD : LamportKv.Routing.FIRST);
        try {
            return run(replicas, hdr);
        } finally {
            kv.close();
        }
    }

    private int run(List<ReplicaAddress> replicas, PrintStream hdr) {
        List<Client> clients = new ArrayList<>();
        chainsEnded = new java.util.concurrent.CountDownLatch(settings.threads() ? 0 : settings.clients());
        SecureRandom ids = new SecureRandom();
        for (int i = 0; i < settings.clients(); i++) {
            clients.add(new Client(i, new SplittableRandom(ids.nextLong())));
        }
        Workload workload = settings.workload();
        if (workload.needsPreload() && !preload(clients, workload)) {
            return FAILED;
        }

        List<Thread> threads = new ArrayList<>();
        if (settings.threads()) {
            for (Client c : clients) {
                Thread t = new Thread(() -> c.load(workload), "bench-client-" + c.index);
                t.setDaemon(true);
                threads.add(t);
            }
        }
        long loadStart = System.nanoTime();
        lastNanos = loadStart;
        threads.forEach(Thread::start);
        if (!settings.threads()) {
            clients.forEach(c -> c.next(workload));
        }
        if (settings.autoWarmup()) {
            WarmUp warmUp = new WarmUp(loadStart, 0, settings.warmupMaxMillis());
            JitWatch jit = new JitWatch(replicas);
            progress.watchUntil("warm-up", loadStart,
                    () -> warmUp.sample(System.nanoTime(), succeeded.sum(), jit.compileMillis(System.nanoTime())),
                    now -> progressLine(now) + "  " + warmUp.state());
        } else {
            progress.watch("warm-up", loadStart, loadStart + settings.warmupMillis() * 1_000_000, this::progressLine);
        }
        CpuTime cpuBefore = CpuTime.read(replicas);
        recorder.getIntervalHistogram();   // drop the warm-up
        measuredErrors.reset();
        long retriesBefore = kv.retries();
        measuring = true;
        long start = System.nanoTime();
        double warmupSeconds = (start - loadStart) / 1e9;
        progress.watch("measure", loadStart, start + settings.durationMillis() * 1_000_000, this::progressLine);
        measuring = false;
        Histogram histogram = recorder.getIntervalHistogram();
        double seconds = (System.nanoTime() - start) / 1e9;
        CpuTime cpu = CpuTime.read(replicas).minus(cpuBefore);
        long errors = measuredErrors.sum();
        long retries = kv.retries() - retriesBefore;
        stopping = true;
        progress.done();
        long joinDeadline = System.nanoTime() + STOP_GRACE_MILLIS * 1_000_000;
        try {
            chainsEnded.await(STOP_GRACE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Thread t : threads) {
            long left = (joinDeadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                break;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }

        Report report = Report.of(settings.clients(), replicas.size(), workload.mix(), seconds, histogram, errors,
                retries, warmupSeconds, cpu.microsPerOp(histogram.getTotalCount()), cpu.replicasRead(),
                settings.spread() ? "spread" : "first", settings.threads() ? "threads" : "callbacks");
        if (settings.json()) {
            out.println(report.json());
        } else {
            out.printf(Locale.ROOT, "lamportkv bench: %d clients on %d replicas, mix %s, %d keys, %d-byte values,"
                            + " %.1f s warm-up%s%n", settings.clients(), replicas.size(), workload.mix(),
                    workload.keys(), workload.valueSize(), warmupSeconds,
                    settings.autoWarmup() ? " (automatic: until the rate stopped rising, at most "
                            + Seconds.format(settings.warmupMaxMillis()) + ")" : "");
            report.table().forEach(out::println);
        }
        out.flush();
        printErrorSummary();
        if (hdr != null) {
            histogram.outputPercentileDistribution(hdr, 1000.0);
            hdr.flush();
            if (hdr.checkError()) {
                err.println("error: --hdr-out: cannot write " + settings.hdrOut());
                return FAILED;
            }
        }
        if (report.ops() == 0) {
            err.println("error: no operation succeeded in the measured " + String.format(Locale.ROOT, "%.1f", seconds)
                    + " s");
            return FAILED;
        }
        return OK;
    }

    /** Gives every key its starting value, the clients sharing the keys; false (reported) if one failed. */
    private boolean preload(List<Client> clients, Workload workload) {
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (Client c : clients) {
            Thread t = new Thread(() -> {
                for (int k = c.index; k < workload.keys() && !stopping; k += clients.size()) {
                    if (c.preload(workload, k)) {
                        done.incrementAndGet();
                    } else {
                        stopping = true;
                    }
                }
            }, "bench-preload-" + c.index);
            t.setDaemon(true);
            threads.add(t);
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        progress.watchUntil("preload", start, () -> threads.stream().noneMatch(Thread::isAlive),
                elapsed -> String.format(Locale.ROOT, "%d/%d keys set", done.get(), workload.keys()));
        progress.done();
        if (stopping) {
            printErrorSummary();
            err.println("error: pre-loading the keys failed (see above); nothing measured");
            return false;
        }
        return true;
    }

    private long lastCount;
    private long lastNanos;

    private String progressLine(long now) {
        long count = succeeded.sum();
        double rate = now > lastNanos ? (count - lastCount) / ((now - lastNanos) / 1e9) : 0;
        lastCount = count;
        lastNanos = now;
        return String.format(Locale.ROOT, "ops %,d  rate %,.0f ops/s  errors %,d  retries %,d", count, rate,
                failed.sum(), kv.retries());
    }

    private void error(String what) {
        failed.increment();
        if (measuring) {
            measuredErrors.increment();
        }
        LongAdder kind = errorKinds.get(what);
        if (kind == null && errorKinds.size() < MAX_ERROR_KINDS) {
            kind = errorKinds.computeIfAbsent(what, w -> new LongAdder());
        }
        if (kind != null) {
            kind.increment();
        }
    }

    private void printErrorSummary() {
        if (errorKinds.isEmpty()) {
            return;
        }
        err.printf(Locale.ROOT, "errors over the whole run (warm-up included): %,d; most frequent:%n", failed.sum());
        errorKinds.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<String, LongAdder> e) -> e.getValue().sum()).reversed())
                .limit(5)
                .forEach(e -> err.printf(Locale.ROOT, "  %,8d  %s%n", e.getValue().sum(), e.getKey()));
        err.flush();
    }

    /**
     * RMI's read timeout for the bench's calls: the attempt limit of the shell's client
     * ({@link lamportkv.client.Client#attemptLimitMillis}), or a little past the operation's own
     * timeout if that ends first (the replica answers TIMEOUT itself then). A bench client calls
     * on its own thread, so this socket timeout is what stops one attempt at a frozen or cut-off
     * replica: the call fails with a {@link RemoteException} and the same command goes to the next
     * replica, as the shell's client does, without a thread hand-off per operation.
     */
    static long responseTimeoutMillis(long timeoutMillis, long attemptMillis) {
        return Math.min(Integer.MAX_VALUE, Math.min(timeoutMillis + RESPONSE_TIMEOUT_MARGIN_MILLIS, attemptMillis));
    }

    private static void setIfAbsent(String property, long value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, String.valueOf(value));
        }
    }


    /**
     * The JIT compile time of the replicas and this process, read from their statuses at most
     * twice a second, so that the reading at the end of each one-second warm-up window is at most
     * half a window old.
     */
    private static final class JitWatch {
        private final List<ReplicaAddress> replicas;
        private long readAt;
        private long compileMillis = -1;
        private boolean read;

        JitWatch(List<ReplicaAddress> replicas) {
            this.replicas = replicas;
        }

        long compileMillis(long now) {
            if (!read || now - readAt >= WarmUp.WINDOW_NANOS / 2) {
                compileMillis = CpuTime.read(replicas).compileMillis();
                readAt = now;
                read = true;
            }
            return compileMillis;
        }
    }

    /**
     * One closed-loop client, on the client library's path: each operation borrows a lane of the
     * shared {@link LamportKv} (a client id and sequence numbers of its own), and is retried as the
     * library retries it (same client id and sequence number, next replica, until {@code --timeout};
     * an attempt lasts at most the attempt limit, RMI's read timeout here: see
     * {@link #responseTimeoutMillis}). Only an operation that finally fails counts as an error.
     */
    private final class Client {
        final int index;
        final java.util.Random random;

        Client(int index, SplittableRandom seed) {
            this.index = index;
            this.random = new java.util.Random(seed.nextLong());
        }

        /** With {@code --threads}: on its own thread, one operation after another until the bench stops. */
        void load(Workload workload) {
            while (!stopping) {
                String[] words = workload.next(random);
                long t0 = System.nanoTime();
                ended(words, t0, execute(words));
            }
        }

        /**
         * Without {@code --threads}: starts the next operation, which starts the one after it when
         * it ends (on the library's thread that made its call), until the bench stops.
         */
        void next(Workload workload) {
            if (stopping) {
                chainsEnded.countDown();
                return;
            }
            String[] words = workload.next(random);
            long t0 = System.nanoTime();
            java.util.concurrent.CompletableFuture<String> answer;
            try {
                answer = kv.executeAsync(List.of(words));
            } catch (RuntimeException e) {      // refused before it was sent (the client closed): this chain ends
                ended(words, t0, describe(e));
                chainsEnded.countDown();
                return;
            }
            answer.whenComplete((printed, failure) -> {
                ended(words, t0, failure == null ? null : describe(failure));
                next(workload);
            });
        }

        private void ended(String[] words, long t0, String failure) {
            if (failure == null) {
                succeeded.increment();
                if (measuring) {
                    recorder.recordValue((System.nanoTime() - t0) / 1_000);
                }
            } else {
                error(words[0] + ": " + failure);
            }
        }

        boolean preload(Workload workload, int key) {
            String failure = execute(workload.preload(key, random));
            if (failure != null) {
                error("preload set: " + failure);
            }
            return failure == null;
        }

        /**
         * Runs one operation to its end; null if it succeeded, else how it failed: the library's
         * verdict ({@code FAILED}, {@code NOT_APPLIED}, {@code MAY_BE_APPLIED}) and its message.
         */
        String execute(String[] words) {
            try {
                kv.execute(List.of(words));
                return null;
            } catch (OperationFailedException | NotAppliedException | IllegalArgumentException | OutcomeUnknownException e) {
                return describe(e);
            }
        }
    }

    /** The library's verdict ({@code FAILED}, {@code NOT_APPLIED}, {@code MAY_BE_APPLIED}) and message of a failed operation. */
    static String describe(Throwable failure) {
        if (failure instanceof OperationFailedException) {
            return "FAILED: " + failure.getMessage();
        }
        if (failure instanceof NotAppliedException || failure instanceof IllegalArgumentException) {
            return "NOT_APPLIED: " + failure.getMessage();
        }
        if (failure instanceof OutcomeUnknownException) {
            return "MAY_BE_APPLIED: " + failure.getMessage();
        }
        return "BUG: " + failure;      // the library promises none other: counted as an error, shown in the summary
    }
}
