package lamportkv.cli;

import java.io.IOException;
import java.io.ObjectInputFilter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ConfigException;
import lamportkv.client.Words;
import lamportkv.core.Value;
import lamportkv.replica.Replica;
import lamportkv.rmi.SerialFilters;
import lamportkv.web.Dashboard;
import org.tinylog.Logger;
import org.tinylog.configuration.Configuration;
import org.tinylog.provider.ProviderRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code run-replica.sh <id> [--config FILE]}: runs one replica in the foreground until SIGTERM or
 * Ctrl-C; with {@code --export}, prints a stopped replica's data as commands instead.
 */
@Command(name = "run-replica.sh", mixinStandardHelpOptions = true, version = "lamportkv 0.1.0",
        description = "Runs one replica of the cluster in the foreground until SIGTERM or Ctrl-C.",
        exitCodeOnInvalidInput = 2)
public final class ReplicaMain implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ID", description = "This replica's id in the configuration.")
    private int id;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = ClusterConfig.DEFAULT_FILE,
            description = "The cluster's configuration (default: ${DEFAULT-VALUE}).")
    private Path configFile;

    @Option(names = "--export", description = "Do not run: print this replica's data, read from its data directory"
            + " (stop the replica first), as set commands that ./run-client.sh reads from stdin; for rebuilding a"
            + " cluster from a healthy replica (README: Crash and restart).")
    private boolean export;

    /** A peer frozen mid-call (SIGSTOP) must not hold a link forever; a healthy peer answers in milliseconds. */
    static final String PEER_RESPONSE_TIMEOUT_MILLIS = "5000";

    public static void main(String[] args) {
        // Also the handshake: a frozen peer accepts the TCP connection and never answers RMI's (default 60 s).
        for (String property : new String[] {"sun.rmi.transport.tcp.responseTimeout",
                "sun.rmi.transport.tcp.handshakeTimeout"}) {
            if (System.getProperty(property) == null) {
                System.setProperty(property, PEER_RESPONSE_TIMEOUT_MILLIS);
            }
        }
        // The launch script sets jdk.serialFilter; without it (java -cp ...), the same allow-list.
        if (System.getProperty("jdk.serialFilter") == null && ObjectInputFilter.Config.getSerialFilter() == null) {
            ObjectInputFilter.Config.setSerialFilter(ObjectInputFilter.Config.createFilter(SerialFilters.JVM_WIDE_PATTERN));
        }
        System.exit(new CommandLine(new ReplicaMain()).execute(args));
    }

    @Override
    public Integer call() {
        ClusterConfig config;
        try {
            config = ClusterConfig.load(configFile);
            config.replica(id);
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        if (export) {
            return export(config);
        }
        logTo(config.dataDirOf(id).resolve("replica.log"));
        Replica replica;
        try {
            // A bug stops the replica (fail-stop); then the process exits non-zero at once, without
            // the shutdown hook's orderly close: its supervisor restarts it and recovery takes over.
            replica = Replica.start(config, id, why -> {
                System.err.println("error: " + why);
                shutDownLogging();
                Runtime.getRuntime().halt(Replica.BUG_EXIT_STATUS);
            });
        } catch (Replica.StartException e) {
            Logger.tag("replica " + id).error("cannot start: {}", e.getMessage());
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        Dashboard dashboard;
        try {
            dashboard = Dashboard.start(replica, config);
        } catch (IOException e) {
            Logger.tag("replica " + id).error("cannot start: {}", e.getMessage());
            System.err.println("error: " + e.getMessage());
            replica.close();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dashboard.close();
            replica.close();
            stopped.countDown();
            shutDownLogging();   // last, so "stopped" is written (tinylog's own hook would race ours)
        }, "shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** Prints the data as commands on stdout; everything else (logs, problems) goes to stderr. */
    private int export(ClusterConfig config) {
        Configuration.replace(Map.of("writer", "console", "writer.stream", "err", "writer.level", "warn",
                "writer.format", "{level}: [{tag}] {message}", "autoshutdown", "false"));
        SortedMap<String, Value> data;
        try {
            data = Replica.readData(config, id);
        } catch (Replica.StartException e) {
            System.err.println("error: cannot export replica " + id + ": " + e.getMessage());
            return 1;
        }
        Export lines = exportLines(data);
        lines.commands().forEach(System.out::println);
        System.out.flush();
        lines.problems().forEach(p -> System.err.println("error: " + p));
        System.err.println("exported " + lines.commands().size() + " of " + data.size() + " keys of replica " + id
                + " from " + config.dataDirOf(id));
        shutDownLogging();
        return lines.problems().isEmpty() ? 0 : 1;
    }

    /** The commands that recreate {@code data}, and the keys they cannot (a value with a line break). */
    record Export(List<String> commands, List<String> problems) {
    }

    static Export exportLines(SortedMap<String, Value> data) {
        List<String> commands = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Value> e : data.entrySet()) {
            Optional<String> key = Words.quote(e.getKey());
            Optional<String> value = Words.quote(e.getValue().render());
            if (key.isPresent() && value.isPresent()) {
                commands.add("set " + key.get() + " " + value.get());
            } else {
                problems.add("key " + Words.quote(e.getKey().replaceAll("\\p{Cntrl}", "?")).orElse("?")
                        + " is not exported: its value holds a line break, which one command line cannot carry;"
                        + " set it again through the dashboard's API");
            }
        }
        return new Export(commands, problems);
    }

    private static void shutDownLogging() {
        try {
            ProviderRegistry.getLoggingProvider().shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Console and a file under the replica's data directory; must run before the first log line. */
    private static void logTo(Path file) {
        String format = "{date:yyyy-MM-dd HH:mm:ss.SSS} {level|min-size=5} [{tag}] {message}";
        Configuration.replace(Map.of(
                "writer1", "console", "writer1.format", format, "writer1.level", "info",
                "writer2", "file", "writer2.file", file.toString(), "writer2.append", "true",
                "writer2.format", format, "writer2.level", "info", "autoshutdown", "false"));
    }
}
