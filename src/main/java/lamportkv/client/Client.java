package lamportkv.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ConfigException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The client once its command line is parsed: one command, a script on stdin, or an interactive
 * shell, against one replica of the cluster. The package's one public entry; the command line
 * itself ({@code run-client.sh}) is {@code lamportkv.cli.ClientMain}.
 */
public final class Client {
    /** Exit status: every command succeeded. */
    public static final int OK = 0;
    /** Exit status: a command failed. */
    public static final int FAILED = 1;
    /** Exit status: a usage error (bad option value, configuration, address). */
    public static final int USAGE = 2;

    /** Added to --timeout for RMI's own read timeout: the replica answers TIMEOUT first, unless frozen. */
    static final long RESPONSE_TIMEOUT_MARGIN_MILLIS = 5_000;
    static final String RESPONSE_TIMEOUT_PROPERTY = "sun.rmi.transport.tcp.responseTimeout";
    /**
     * A new connection's protocol handshake: instant from a live replica, but a frozen one (SIGSTOP)
     * accepts the TCP connection and never answers, and RMI's default waits 60 seconds.
     */
    static final String HANDSHAKE_TIMEOUT_PROPERTY = "sun.rmi.transport.tcp.handshakeTimeout";
    static final long HANDSHAKE_TIMEOUT_MILLIS = 5_000;
    /** Added to {@code view.suspect.seconds} for {@link #attemptLimitMillis}: a view change takes a few round trips. */
    static final long ATTEMPT_MARGIN_MILLIS = 1_000;

    /**
     * The client's options, as typed.
     *
     * @param configFile the cluster's configuration (unused with {@code connect})
     * @param replicaId the replica to talk to first, or null for the first in the configuration
     * @param connect HOST:PORT of the one replica to talk to instead, or null
     * @param timeout how long one operation may take, in seconds, as typed
     * @param waitFor how long to keep trying to reach a replica, in seconds, as typed
     * @param command a command and its arguments; empty for a shell or a script on stdin
     */
    public record Options(Path configFile, Integer replicaId, String connect, String timeout, String waitFor,
            List<String> command) {
        public Options {
            command = List.copyOf(command);
        }
    }

    private final Options options;
    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;
    private final Clock clock;

    private Client(Options options, InputStream in, PrintStream out, PrintStream err, boolean terminal, Clock clock) {
        this.options = options;
        this.in = in;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
        this.clock = clock;
    }

    /**
     * How long one attempt at a replicated operation waits for its replica's answer before the
     * same operation (same client id and sequence number) goes to the next replica:
     * {@code view.suspect.seconds} plus {@link #ATTEMPT_MARGIN_MILLIS}. By then the cluster has
     * itself given up on a replica that is frozen or cut off and moved to a view without it, so
     * waiting longer there gains nothing; a replica that was merely slow is asked again in the
     * next round, and the cluster applies the operation once. The operation's whole budget
     * ({@code --timeout}) is unchanged: each replica is still given the time left.
     */
    public static long attemptLimitMillis(long viewSuspectMillis) {
        return viewSuspectMillis + ATTEMPT_MARGIN_MILLIS;
    }

    /** One line per command, its usage and what it does: for the command line's help. */
    public static List<String> commandHelp() {
        return Verb.help();
    }

    /**
     * Runs the client: the command in {@code options}, else an interactive shell if {@code terminal},
     * else one command per line of {@code in}. Results go to {@code out}, errors to {@code err}.
     *
     * @param terminal whether stdin and stdout are a terminal, for the interactive shell
     * @return {@link #OK}, {@link #FAILED} or {@link #USAGE}
     */
    public static int run(Options options, InputStream in, PrintStream out, PrintStream err, boolean terminal) {
        return new Client(options, in, out, err, terminal, Clock.systemDefaultZone()).run();
    }

    private int run() {
        Function<Duration, Connection> connections;
        Connection first;
        long timeoutMillis;
        try {
            timeoutMillis = Seconds.parseMillis("--timeout", options.timeout(), false);
            long waitMillis = Seconds.parseMillis("--wait", options.waitFor(), true);
            connections = connections();
            first = connections.apply(Duration.ofMillis(waitMillis));
        } catch (IllegalArgumentException | ConfigException e) {
            err.println("error: " + e.getMessage());
            return USAGE;
        }
        // Read once by RMI, at its first call: set before any.
        long responseTimeout = Math.min(Integer.MAX_VALUE, timeoutMillis + RESPONSE_TIMEOUT_MARGIN_MILLIS);
        System.setProperty(RESPONSE_TIMEOUT_PROPERTY, String.valueOf(responseTimeout));
        System.setProperty(HANDSHAKE_TIMEOUT_PROPERTY, String.valueOf(Math.min(responseTimeout, HANDSHAKE_TIMEOUT_MILLIS)));
        // The first lane waits for a replica as --wait says; later ones (watch and lock polls) do not.
        java.util.concurrent.atomic.AtomicReference<Connection> unused = new java.util.concurrent.atomic.AtomicReference<>(first);
        LamportKv kv = new LamportKv(() -> {
            Connection c = unused.getAndSet(null);
            return c != null ? c : connections.apply(Duration.ZERO);
        }, timeoutMillis);
        Session session = new Session(kv, out, err, clock);
        if (!options.command().isEmpty()) {
            return session.run(options.command()) ? OK : FAILED;
        }
        return terminal ? shell(session) : piped(session);
    }

    /** Connections as the options ask for, given how long each waits for its first replica. */
    private Function<Duration, Connection> connections() throws ConfigException {
        Integer replicaId = options.replicaId();
        if (options.connect() != null) {
            if (replicaId != null) {
                throw new IllegalArgumentException("--replica and --connect exclude each other: give one");
            }
            // No configuration: the cluster's default suspicion time.
            Endpoint endpoint = Endpoint.parse(options.connect());
            return wait -> new Connection(List.of(endpoint), false, false, wait,
                    attemptLimitMillis(ClusterConfig.DEFAULT_VIEW_SUSPECT_MILLIS), err);
        }
        ClusterConfig config = ClusterConfig.load(options.configFile());
        lamportkv.rmi.Transport.useClientConfig(config);   // TLS when tls.enabled=true
        long attempt = attemptLimitMillis(config.viewSuspectMillis());
        if (replicaId != null) {
            // The named replica first; the others only for retrying a replicated operation, never for tick/hash/status.
            List<Endpoint> candidates = new ArrayList<>();
            candidates.add(Endpoint.of(config.replica(replicaId)));
            config.replicas().stream().filter(r -> r.id() != replicaId).map(Endpoint::of).forEach(candidates::add);
            return wait -> new Connection(candidates, false, true, wait, attempt, err);
        }
        List<Endpoint> replicas = config.replicas().stream().map(Endpoint::of).toList();
        return wait -> new Connection(replicas, true, true, wait, attempt, err);
    }

    /** One command per line, one result per line, in order; blank lines skipped, like redis-cli. */
    private int piped(Session session) {
        boolean allOk = true;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        try {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (Session.isExit(wordsOrEmpty(line))) {
                    break;
                }
                allOk &= session.runLine(line);
            }
        } catch (IOException e) {
            err.println("error: cannot read stdin: " + e.getMessage());
            return FAILED;
        }
        return allOk ? OK : FAILED;
    }

    private static List<String> wordsOrEmpty(String line) {
        try {
            return Words.split(line);
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    private int shell(Session session) {
        Path history = Path.of(System.getProperty("user.home"), ".lamportkv_history");
        try (Terminal t = TerminalBuilder.builder().system(true).build()) {
            return new Shell(t, session, err, history).run();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the terminal", e);
        }
    }
}
