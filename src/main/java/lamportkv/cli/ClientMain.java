package lamportkv.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import lamportkv.bench.Bench;
import lamportkv.client.Client;
import lamportkv.config.ClusterConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code run-client.sh}: one command, a script on stdin, or an interactive shell, against one
 * replica of the cluster. This class is the command line; {@link Client} runs the client and
 * {@link Bench} the {@code bench} subcommand.
 */
@Command(name = "run-client.sh", mixinStandardHelpOptions = true, version = "lamportkv 0.1.0",
        sortOptions = false,
        description = {"Talks to one replica of a lamportkv cluster.",
                "With a COMMAND: runs it and exits. Without one: an interactive shell on a terminal,"
                        + " else one command per line of stdin, one result per line of stdout."})
public final class ClientMain implements Callable<Integer> {
    static final int FAILED = Client.FAILED;
    static final int USAGE = Client.USAGE;

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

    private ClientMain(InputStream in, PrintStream out, PrintStream err, boolean terminal) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err, System.console() != null));
    }

    /** Runs the client without a terminal: a command from {@code args}, else one per line of {@code in}. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return run(args, in, out, err, false);
    }

    /** @param terminal whether stdin and stdout are a terminal, for the interactive shell */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, boolean terminal) {
        CommandLine cli = new CommandLine(new ClientMain(in, out, err, terminal));
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
        Client.commandHelp().forEach(line -> lines.add("  " + line));
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
            return Bench.run(configFile, command.subList(1, command.size()), out, err);
        }
        return Client.run(new Client.Options(configFile, replicaId, connect, timeout, waitFor, command),
                in, out, err, terminal);
    }
}
