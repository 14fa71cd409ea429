package lamportkv.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.stream.Stream;
import lamportkv.config.ClusterConfig;

/**
 * Replicas as separate JVMs, started with the project's own {@code run-replica.sh} and a
 * temporary configuration, and the real client through {@code run-client.sh}: what a user runs.
 * Replicas can be killed (SIGKILL), paused (SIGSTOP) and resumed (SIGCONT), and a stopped
 * replica's data directory wiped (a lost disk). Also the questions the fault tests ask of one
 * replica at a time, pinned to its address ({@link #status}, {@link #hash}, {@link #view}).
 */
final class ProcessCluster implements AutoCloseable {
    /** The project's root, where the scripts are (Maven runs tests there). */
    static final Path ROOT = Path.of("").toAbsolutePath();

    private final long createdNanos = System.nanoTime();
    private final Path dir;
    private final Path configFile;
    private final List<Integer> ids = new ArrayList<>();
    private final Map<Integer, Process> running = new TreeMap<>();
    /** Where {@code run-replica.sh} and {@code run-client.sh} are: {@link #ROOT}, or copies beside another jar. */
    private final Path scripts;
    /** The command that runs replica {@code id}'s script (e.g. {@code ip netns exec NS}); empty: run it directly. */
    private final IntFunction<List<String>> launcher;

    private ProcessCluster(Path dir, Path configFile, int replicas) {
        this(dir, configFile, replicas, ROOT, id -> List.of());
    }

    private ProcessCluster(Path dir, Path configFile, int replicas, Path scripts, IntFunction<List<String>> launcher) {
        this.dir = dir;
        this.configFile = configFile;
        this.scripts = scripts;
        this.launcher = launcher;
        for (int id = 1; id <= replicas; id++) {
            ids.add(id);
        }
    }

    /** Writes a configuration for {@code replicas} replicas (3, 5, ...) on free loopback ports. */
    static ProcessCluster create(int replicas, Path dir) throws IOException {
        StringBuilder text = new StringBuilder("data.dir=data\n");
        for (int id = 1; id <= replicas; id++) {
            text.append("replica.").append(id).append("=127.0.0.1:").append(freePort()).append('\n');
        }
        Path file = dir.resolve("replicas.properties");
        Files.writeString(file, text);
        return new ProcessCluster(dir, file, replicas);
    }

    /**
     * Replicas 1..{@code replicas} of a configuration the caller wrote, with the scripts in
     * {@code scripts}; replica {@code id} starts as {@code launcher(id) bash run-replica.sh id --config FILE}.
     */
    static ProcessCluster of(Path dir, Path configFile, int replicas, Path scripts, IntFunction<List<String>> launcher) {
        return new ProcessCluster(dir, configFile, replicas, scripts, launcher);
    }

    /**
     * The project's scripts, copied into {@code dir/bin} beside a link to the jar this build made
     * (they run {@code target/lamportkv.jar} beside themselves; this build's may be elsewhere,
     * {@code mvn -Dbuild.dir=...}). Returns {@code dir/bin}.
     */
    static Path scriptsBesideThisBuild(Path dir) throws Exception {
        Path testClasses = Path.of(ProcessCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = testClasses.getParent().resolve("lamportkv.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + ": mvn package runs before the *IT tests");
        }
        Path bin = dir.resolve("bin");
        Files.createDirectories(bin.resolve("target"));
        for (String script : List.of("run-replica.sh", "run-client.sh", "run-cluster.sh")) {
            Files.copy(ROOT.resolve(script), bin.resolve(script));
        }
        Files.createSymbolicLink(bin.resolve("target/lamportkv.jar"), jar);
        return bin;
    }

    Path configFile() {
        return configFile;
    }

    List<Integer> ids() {
        return ids;
    }

    /** Where {@code run-replica.sh} and {@code run-client.sh} are (for {@link PipedClient}). */
    Path scripts() {
        return scripts;
    }

    /** The test's directory: consoles, client files, the configuration. */
    Path dir() {
        return dir;
    }

    /** The configuration as the replicas read it. */
    ClusterConfig config() {
        try {
            return ClusterConfig.load(configFile);
        } catch (lamportkv.config.ConfigException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Replica {@code id}'s {@code host:port}, as configured: for {@code --connect}. */
    String address(int id) {
        try {
            return config().replica(id).hostPort();
        } catch (lamportkv.config.ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Replica {@code id}'s data directory ({@code <data.dir>/replica-<id>}). */
    Path dataDir(int id) {
        return config().dataDirOf(id);
    }

    /**
     * Deletes stopped replica {@code id}'s data directory, as a lost disk would (its console file
     * and the cluster secret beside the configuration stay). Returns how many files it held.
     */
    int wipe(int id) throws IOException {
        if (running.containsKey(id)) {
            throw new IllegalStateException("replica " + id + " is running: stop it before wiping its data");
        }
        Path data = dataDir(id);
        if (!Files.exists(data)) {
            return 0;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(data)) {
            paths = walk.sorted(java.util.Comparator.reverseOrder()).toList();
        }
        int files = 0;
        for (Path p : paths) {
            files += Files.isRegularFile(p) ? 1 : 0;
            Files.delete(p);
        }
        if (Files.exists(data)) {
            throw new IllegalStateException(data + " still exists after the wipe");
        }
        return files;
    }

    /** Starts every replica and waits until each answers. */
    void startAll() throws Exception {
        for (int id : ids) {
            start(id);
        }
        for (int id : ids) {
            awaitAnswering(id, Duration.ofSeconds(60));
        }
    }

    /** Starts replica {@code id} in the background; its console goes to {@code replica-<id>.out}. */
    void start(int id) throws IOException {
        if (running.containsKey(id)) {
            throw new IllegalStateException("replica " + id + " is running");
        }
        List<String> command = new ArrayList<>(launcher.apply(id));
        command.addAll(List.of("bash", scripts.resolve("run-replica.sh").toString(),
                String.valueOf(id), "--config", configFile.toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("replica-" + id + ".out").toFile()));
        running.put(id, pb.start());
    }

    void awaitAnswering(int id, Duration within) throws Exception {
        ClientRun r = client(List.of("--replica", String.valueOf(id), "--wait", String.valueOf(within.toSeconds()), "hash"));
        if (r.exitCode() != 0) {
            throw new AssertionError("replica " + id + " did not answer within " + within + ": " + r
                    + "\nlog:\n" + tail(id));
        }
    }

    /** SIGKILL: no shutdown hook, no flush, as in a crash. */
    void kill(int id) throws InterruptedException {
        Process p = running.remove(id);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, as Ctrl-C or a service manager would; waits for the clean exit. */
    int terminate(int id) throws InterruptedException {
        Process p = running.remove(id);
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("replica " + id + " did not stop within 20s of SIGTERM");
        }
        return p.exitValue();
    }

    /** SIGSTOP: the process is frozen (no thread runs) but its sockets stay open, as in a long GC pause. */
    void pause(int id) throws Exception {
        signal(id, "STOP");
    }

    /** SIGCONT after {@link #pause}. */
    void resume(int id) throws Exception {
        signal(id, "CONT");
    }

    boolean isAlive(int id) {
        Process p = running.get(id);
        return p != null && p.isAlive();
    }

    private void signal(int id, String signal) throws Exception {
        long pid = running.get(id).pid();
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
        }
    }

    /** Runs {@code run-client.sh --config FILE ARGS...} with {@code stdin} as its input. */
    ClientRun client(List<String> args, String stdin) throws Exception {
        return clientVia(List.of(), args, stdin, Duration.ofSeconds(120));
    }

    /**
     * Runs {@code PREFIX bash run-client.sh --config FILE ARGS...} (the prefix e.g. {@code ip netns
     * exec NS}, to run the client inside a replica's namespace), failing if it runs longer than
     * {@code limit}.
     */
    ClientRun clientVia(List<String> prefix, List<String> args, String stdin, Duration limit) throws Exception {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("bash", scripts.resolve("run-client.sh").toString(), "--config", configFile.toString()));
        command.addAll(args);
        Path out = Files.createTempFile(dir, "client", ".out");
        Path err = Files.createTempFile(dir, "client", ".err");
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("client " + prefix + " " + args + " did not finish within " + limit.toSeconds() + "s");
        }
        ClientRun run = new ClientRun(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return run;
    }

    ClientRun client(List<String> args) throws Exception {
        return client(args, "");
    }

    /**
     * One command on replica {@code id} only ({@code --connect}: no failover), within
     * {@code timeoutSeconds} of the client's own budget.
     */
    ClientRun on(int id, int timeoutSeconds, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("--connect", address(id), "--timeout", String.valueOf(timeoutSeconds)));
        args.addAll(List.of(command));
        return clientVia(List.of(), args, "", Duration.ofSeconds(timeoutSeconds + 60L));
    }

    /** Replica {@code id}'s {@code status} lines; fails if it does not answer within a few seconds. */
    List<String> status(int id) throws Exception {
        ClientRun r = on(id, 5, "status");
        if (r.exitCode() != 0) {
            throw new AssertionError("status of replica " + id + " failed: " + r);
        }
        return r.lines();
    }

    /** Replica {@code id}'s view as its {@code status} reports it; empty if it names none. */
    java.util.Optional<ViewStatus.View> view(int id) throws Exception {
        return ViewStatus.parse(status(id));
    }

    /** Replica {@code id}'s {@code applied=<n> digest=<hex>}. */
    String hash(int id) throws Exception {
        ClientRun r = on(id, 5, "hash");
        if (r.exitCode() != 0 || !r.out().strip().matches("applied=[0-9]+ digest=[0-9a-f]+")) {
            throw new AssertionError("hash of replica " + id + " failed: " + r);
        }
        return r.out().strip();
    }

    /** Waits until replicas {@code among} report the same {@code applied=<n> digest=<hex>}; returns it. */
    String awaitEqualHashes(List<Integer> among, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        Map<Integer, String> hashes = new TreeMap<>();
        while (true) {
            hashes.clear();
            for (int id : among) {
                try {
                    hashes.put(id, hash(id));
                } catch (AssertionError notYet) {
                    hashes.put(id, notYet.getMessage());
                }
            }
            if (hashes.values().stream().distinct().count() == 1 && hashes.values().iterator().next().startsWith("applied=")) {
                return hashes.values().iterator().next();
            }
            if (System.nanoTime() - deadline > 0) {
                StringBuilder logs = new StringBuilder();
                for (int id : among) {
                    logs.append("\n--- replica ").append(id).append(":\n").append(tail(id));
                }
                throw new AssertionError("replicas " + among + " did not reach equal hashes within " + within.toSeconds()
                        + "s: " + hashes + logs);
            }
            Thread.sleep(300);
        }
    }

    /** Prints {@code what} with the seconds since this cluster was made: a timeline in the test's output. */
    void note(String what) {
        System.out.printf("[%6.1f s] %s%n", (System.nanoTime() - createdNanos) / 1e9, what);
    }

    /** A condition that may ask the replicas (and so throw). */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    /**
     * Polls {@code condition} every 300 ms until it holds; fails after {@code within}, naming
     * {@code what} and {@code state} (read when it fails). Returns how long it took.
     */
    static Duration await(Condition condition, Duration within, String what, Supplier<String> state) throws Exception {
        long started = System.nanoTime();
        long deadline = started + within.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("waited " + within.toSeconds() + "s for " + what + "; " + state.get());
            }
            Thread.sleep(300);
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /** The last lines of replica {@code id}'s console, for failure messages. */
    String tail(int id) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("replica-" + id + ".out"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        for (Process p : running.values()) {
            p.destroyForcibly();
        }
        for (Process p : running.values()) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running.clear();
    }

    record ClientRun(int exitCode, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n", -1)).subList(0, out.split("\n", -1).length - 1);
        }
    }

    static int freePort() {
        return lamportkv.testing.Ports.free();
    }
}
