package lamportkv.bench;

import java.nio.file.Path;
import lamportkv.client.Seconds;
import lamportkv.core.Value;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run-client.sh bench}'s options, as picocli reads them, and their checks. */
@Command(name = "run-client.sh bench", mixinStandardHelpOptions = true, version = "lamportkv 0.1.0",
        sortOptions = false,
        description = {
            "Drives a running lamportkv cluster with closed-loop clients and reports throughput and latency.",
            "Each client has its own random client id and increasing sequence numbers, and sends its next"
                    + " operation only when the one before has its reply. The clients are chains of the client"
                    + " library's operations without waiting (LamportKv.executeAsync), as redis-benchmark's"
                    + " clients are callbacks of one event loop; --threads gives each client a thread that waits"
                    + " for each reply instead, as the etcd reference load does."
                    + " All clients send to one replica, the first of the configuration, as the client library"
                    + " does by default (--spread: round-robin over all replicas instead). An attempt"
                    + " that gets no answer, or a replica that cannot take or finish it now (UNAVAILABLE,"
                    + " ABANDONED), is retried as the same command (it applies once) on the next replica,"
                    + " within --timeout; such retries are counted. An operation that finally fails"
                    + " (FAILED, REFUSED, NOT_APPLIED, TIMEOUT, or no replica in time) is counted as an"
                    + " error, not fatal.",
            "Latency is recorded (in microseconds, HdrHistogram) only after the warm-up.",
            ""},
        footer = {
            "",
            "Keys are k0 .. k<keys-1>, chosen uniformly; values are 'vvv...' of --value-size bytes, as in the"
                    + " etcd reference load (shared/peers/etcd).",
            "Mixes with add or mult need numbers in every key, so then:",
            "  - before the warm-up every key is set to a random number of --value-size digits;",
            "  - set writes such a number too (same payload size, and later adds still find a number);",
            "  - add adds 1 and mult multiplies by 1, so values never grow towards the 1000-digit limit",
            "    (--value-size is at most " + Workload.MAX_NUMERIC_VALUE_SIZE + " for these mixes).",
            "Any mix other than pure set pre-loads its keys the same way, so get reads real values.",
            "A del in a mix with add or mult makes later adds/mults of that key fail ('no such key') until a"
                    + " set writes it again: those failures count as errors.",
            "",
            "Output: a table on stdout (or one JSON line with --json: system, clients, seconds, ops, ops_per_s,"
                    + " p50_us, p90_us, p99_us, p999_us, max_us, errors, replicas, mix, retries, warmup_s (the warm-up"
                    + " used), routing (first or spread), clients_as (callbacks or threads), cpu_us_per_op (CPU time of the replicas, read from their status, and of the bench"
                    + " itself, per operation measured; -1 if a replica could not be read), cpu_replicas); progress"
                    + " on stderr.",
            "Exit status: 0 after a run with at least one successful operation, 1 if none succeeded or the"
                    + " cluster cannot be reached, 2 for usage errors."})
public final class BenchOptions {
    static final int MAX_CLIENTS = 10_000;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The cluster's configuration (default: the client's --config).")
    Path config;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "64",
            description = "Concurrent closed-loop clients (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "20",
            description = "How long to measure (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "auto",
            description = "How long to run before measuring: a number of seconds, or auto: until the rate"
                    + " has stopped rising (over 1-second windows, the last 10 s no more than 3%% above"
                    + " the 10 s before, 3 windows in a row), at most --warmup-max (default: ${DEFAULT-VALUE}).")
    String warmup;

    @Option(names = "--warmup-max", paramLabel = "SECONDS", defaultValue = "60",
            description = "The longest automatic warm-up (default: ${DEFAULT-VALUE}).")
    String warmupMax;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "1000",
            description = "How many distinct keys (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--value-size", paramLabel = "BYTES", defaultValue = "100",
            description = "Size of the values set writes (default: ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(names = "--mix", paramLabel = "KIND:WEIGHT,...", defaultValue = "set:100",
            description = "Operation kinds and their weights, kinds among set, add, get, mult, del,"
                    + " e.g. set:60,add:20,get:20 (default: ${DEFAULT-VALUE}).")
    String mix;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long one operation may take, retries included, before it counts as an error"
                    + " (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--spread",
            description = "Spread the clients round-robin over the replicas instead of sending all to the first"
                    + " (which keeps the cluster's order in one piece: see the README's Performance section).")
    boolean spread;

    @Option(names = "--threads",
            description = "One thread per client, waiting for each reply (as the etcd reference load's clients do),"
                    + " instead of chains of callbacks on the client library's own threads. Same load; the bench"
                    + " itself then spends a thread wake-up per operation (CPU that cpu_us_per_op counts).")
    boolean threads;

    @Option(names = "--json", description = "Print one JSON line instead of the table.")
    boolean json;

    @Option(names = "--hdr-out", paramLabel = "FILE",
            description = "Also write the latency histogram to FILE, in HdrHistogram's percentile"
                    + " distribution format (values in milliseconds).")
    Path hdrOut;

    /** The options once checked. */
    /**
     * @param warmupMillis {@link #AUTO}, or a fixed warm-up
     * @param warmupMaxMillis the longest automatic warm-up
     */
    record Settings(Path config, int clients, long durationMillis, long warmupMillis, long warmupMaxMillis,
                    Workload workload, long timeoutMillis, boolean spread, boolean threads, boolean json, Path hdrOut) {
        boolean autoWarmup() {
            return warmupMillis == AUTO;
        }
    }

    /** {@code --warmup auto}. */
    static final long AUTO = -1;

    /**
     * Checks the options.
     *
     * @param defaultConfig the configuration to use without {@code --config}
     * @throws IllegalArgumentException with a one-line message naming the bad option
     */
    Settings check(Path defaultConfig) {
        if (clients < 1 || clients > MAX_CLIENTS) {
            throw new IllegalArgumentException("--clients: expected 1 to " + MAX_CLIENTS + ", found " + clients);
        }
        if (keys < 1) {
            throw new IllegalArgumentException("--keys: expected a positive number, found " + keys);
        }
        Mix parsed = Mix.parse(mix);
        int maxValue = parsed.numeric() ? Workload.MAX_NUMERIC_VALUE_SIZE : Value.MAX_VALUE_BYTES;
        if (valueSize < 1 || valueSize > maxValue) {
            throw new IllegalArgumentException("--value-size: expected 1 to " + maxValue
                    + (parsed.numeric() ? " for a mix with add or mult (values are numbers of that many digits)" : "")
                    + ", found " + valueSize);
        }
        long warmupMillis = warmup.trim().equalsIgnoreCase("auto") ? AUTO : millis("--warmup", warmup, true);
        return new Settings(config != null ? config : defaultConfig, clients,
                millis("--duration", duration, false), warmupMillis, millis("--warmup-max", warmupMax, false),
                new Workload(parsed, keys, valueSize), millis("--timeout", timeout, false), spread, threads, json,
                hdrOut);
    }

    /** Seconds (decimals allowed) as milliseconds, rounded up: read as the client reads its durations. */
    static long millis(String option, String text, boolean allowZero) {
        return Seconds.parseMillis(option, text, allowZero);
    }
}
