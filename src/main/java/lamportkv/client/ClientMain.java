package lamportkv.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ConfigException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code run-client.sh}: one command, a script on stdin, or an interactive shell, against one
 * replica of the cluster.
 */
@Command(name = "run-client.sh", mixinStandardHelpOptions = true, version = "lamportkv 0.1.0",
        sortOptions = false,
        description = {"Talks to one replica of a lamportkv cluster.",
                "With a COMMAND: runs it and exits. Without one: an interactive shell on a terminal,"
                        + " else one command per line of stdin, one result per line of stdout."})
public final class ClientMain implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    /** Added to --timeout for RMI's own read timeout: the replica answers TIMEOUT first, unless frozen. */
    static final long RESPONSE_TIMEOUT_MARGIN_MILLIS = 5_000;
    static final String RESPONSE_TIMEOUT_PROPERTY = "sun.rmi.transport.tcp.responseTimeout";
    /**
     * A new connection's protocol handshake: instant from a live replica, but a frozen one (SIGSTOP)
     * accepts the TCP connection and never answers, and RMI's default waits 60 seconds.
     */
    static final String HANDSHAKE_TIMEOUT_PROPERTY = "sun.rmi.transport.tcp.handshakeTimeout";
    static final long HANDSHAKE_TIMEOUT_MILLIS = 5_000;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = ClusterConfig.DEFAULT_FILE,
            description = "The cluster's configuration (default: ${DEFAULT-VALUE}).")
    private Path configFile;

    @Option(names = "--replica", paramLabel = "ID",
            description = "The replica to talk to first (default: the first in the configuration). An operation"
                    + " that gets no answer from it moves on to the next replicas in id order; tick, hash and status"
                    + " stay on a named replica.")
    private Integer replicaId;

    @Option(names = "--connect", paramLabel = "HOST:PORT",
            description = "Talk to the replica at HOST:PORT instead; no configuration needed, and no other"
                    + " replica is tried (an operation that loses contact is retried at the same address).")
    private String connect;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long one operation may take, retries on other replicas included, before it"
                    + " fails with a timeout; it may still be applied later (default: ${DEFAULT-VALUE}).")
    private String timeout;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "0",
            description = "Keep trying to reach a replica for up to SECONDS before giving up, e.g. while the"
                    + " cluster starts (default: 0).")
    private String waitFor;

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "A command and its arguments, e.g. add x 5.")
    private List<String> command = new ArrayList<>();

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;
    private final Clock clock;

    private ClientMain(InputStream in, PrintStream out, PrintStream err, boolean terminal, Clock clock) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
        this.clock = clock;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err, System.console() != null));
    }

    /** Runs the client without a terminal: a command from {@code args}, else one per line of {@code in}. */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return run(args, in, out, err, false);
    }

    /** @param terminal whether stdin and stdout are a terminal, for the interactive shell */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err, boolean terminal) {
        CommandLine cli = new CommandLine(new ClientMain(in, out, err, terminal, Clock.systemDefaultZone()));
        cli.setStopAtPositional(true);   // `add x -5`: everything after the command word is the command's
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cli.getCommandSpec().usageMessage().footer(footer());
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("error: " + e.getMessage() + " (see run-client.sh --help)");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, c, p) -> {
            err.println("error: unexpected " + e + " (a bug: please report it with the trace below)");
            e.printStackTrace(err);
            return FAILED;
        });
        int status = cli.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    private static String[] footer() {
        List<String> lines = new ArrayList<>(List.of("", "Commands:"));
        Verb.help().forEach(line -> lines.add("  " + line));
        lines.addAll(List.of("",
                "set, get, add, mult, del and keys carry this client's id and a sequence number: when a replica"
                        + " cannot be reached or contact with it is lost, the same operation is retried on the next"
                        + " replica (said on stderr) until --timeout is up, and the cluster applies it once. While"
                        + " any replica is down, operations wait for it and time out; they complete when it returns.",
                "",
                "Errors go to stderr as 'error: <message>'. Exit status: 0 if every command"
                + " succeeded, 1 if any failed, 2 for usage errors."));
        return lines.toArray(String[]::new);
    }

    @Override
    public Integer call() {
        if (!command.isEmpty() && command.get(0).equals("bench")) {   // run-client.sh bench --help
            return lamportkv.bench.Bench.run(configFile, command.subList(1, command.size()), out, err);
        }
        Connection connection;
        long timeoutMillis;
        try {
            timeoutMillis = Seconds.parseMillis("--timeout", timeout, false);
            long waitMillis = Seconds.parseMillis("--wait", waitFor, true);
            connection = connection(Duration.ofMillis(waitMillis));
        } catch (IllegalArgumentException | ConfigException e) {
            err.println("error: " + e.getMessage());
            return USAGE;
        }
        // Read once by RMI, at its first call: set before any.
        long responseTimeout = Math.min(Integer.MAX_VALUE, timeoutMillis + RESPONSE_TIMEOUT_MARGIN_MILLIS);
        System.setProperty(RESPONSE_TIMEOUT_PROPERTY, String.valueOf(responseTimeout));
        System.setProperty(HANDSHAKE_TIMEOUT_PROPERTY, String.valueOf(Math.min(responseTimeout, HANDSHAKE_TIMEOUT_MILLIS)));
        Session session = new Session(connection, out, err, newClientId(), timeoutMillis, clock);
        if (!command.isEmpty()) {
            return session.run(command) ? OK : FAILED;
        }
        return terminal ? shell(session) : piped(session);
    }

    /** A random, non-zero id (0 means an anonymous operation, which replicas never deduplicate). */
    private static long newClientId() {
        SecureRandom random = new SecureRandom();
        long id = 0;
        while (id == 0) {
            id = random.nextLong();
        }
        return id;
    }

    private Connection connection(Duration wait) throws ConfigException {
        if (connect != null) {
            if (replicaId != null) {
                throw new IllegalArgumentException("--replica and --connect exclude each other: give one");
            }
            return new Connection(List.of(Endpoint.parse(connect)), false, false, wait, err);
        }
        ClusterConfig config = ClusterConfig.load(configFile);
        lamportkv.rmi.Transport.useClientConfig(config);   // TLS when tls.enabled=true
        if (replicaId != null) {
            // The named replica first; the others only for retrying a replicated operation, never for tick/hash/status.
            List<Endpoint> candidates = new ArrayList<>();
            candidates.add(Endpoint.of(config.replica(replicaId)));
            config.replicas().stream().filter(r -> r.id() != replicaId).map(Endpoint::of).forEach(candidates::add);
            return new Connection(candidates, false, true, wait, err);
        }
        return new Connection(config.replicas().stream().map(Endpoint::of).toList(), true, true, wait, err);
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
