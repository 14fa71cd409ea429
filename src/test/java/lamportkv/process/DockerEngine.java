package lamportkv.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A Docker engine for one test: the one that runs here, or a {@code dockerd} this class starts
 * (and stops again in {@link #close}: only what it started). Also runs {@code docker} and
 * {@code docker compose} (the plugin, or the older {@code docker-compose}) with time limits.
 * Test runs on one machine take turns through a file lock, since they share the engine.
 *
 * <p>{@link #start} skips the test, saying why, where Docker cannot run: not Linux, not root, no
 * {@code docker} or {@code dockerd} or compose command ({@code apt-get install docker.io
 * docker-compose}), or an engine that does not answer within a minute of starting.
 */
final class DockerEngine implements AutoCloseable {
    private static final Path LOCK = Path.of("/tmp/lamportkv-docker-it.lock");
    private static final Duration ENGINE_START = Duration.ofSeconds(60);

    /** A finished command: its exit code, its stdout, and its stderr. */
    record Result(int code, String stdout, String stderr) {
        boolean ok() {
            return code == 0;
        }

        /** Both, for messages. */
        String output() {
            return stderr.isEmpty() ? stdout : stdout + (stdout.isEmpty() || stdout.endsWith("\n") ? "" : "\n") + stderr;
        }
    }

    private final List<String> compose;
    private final Process daemon;      // null: an engine that was already running
    private final FileChannel lockFile;
    private final FileLock lock;

    private DockerEngine(List<String> compose, Process daemon, FileChannel lockFile, FileLock lock) {
        this.compose = compose;
        this.daemon = daemon;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    static DockerEngine start(Path logDir) throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"),
                () -> skip("Docker's engine runs on Linux; this is " + System.getProperty("os.name")));
        Result uid = run(Duration.ofSeconds(10), Map.of(), "id", "-u");
        Assumptions.assumeTrue(uid.ok() && uid.stdout().strip().equals("0"),
                () -> skip("not root (uid " + uid.stdout().strip() + "): starting dockerd and debootstrap need root"));
        Assumptions.assumeTrue(found("docker"), () -> skip("no docker command (apt-get install docker.io)"));
        List<String> compose = composeCommand();
        Assumptions.assumeTrue(compose != null,
                () -> skip("neither `docker compose` nor `docker-compose` runs (apt-get install docker-compose)"));
        FileChannel lockFile = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.lock();
        try {
            if (run(Duration.ofSeconds(20), Map.of(), "docker", "info").ok()) {
                return new DockerEngine(compose, null, lockFile, lock);
            }
            Assumptions.assumeTrue(found("dockerd"), () -> skip("no Docker engine runs and there is no dockerd to start"
                    + " (apt-get install docker.io)"));
            Path log = logDir.resolve("dockerd.log");
            Files.createDirectories(logDir);
            Process daemon = new ProcessBuilder("dockerd").redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            DockerEngine engine = new DockerEngine(compose, daemon, lockFile, lock);
            long deadline = System.nanoTime() + ENGINE_START.toNanos();
            while (!run(Duration.ofSeconds(20), Map.of(), "docker", "info").ok()) {
                if (!daemon.isAlive() || System.nanoTime() > deadline) {
                    String tail = tail(log, 8);
                    engine.close();
                    Assumptions.abort(skip("dockerd did not start (" + (daemon.isAlive() ? "no answer within "
                            + ENGINE_START.toSeconds() + " s" : "exit " + daemon.exitValue()) + "); its log ends:\n" + tail));
                }
                Thread.sleep(250);
            }
            System.out.println("started dockerd (pid " + daemon.pid() + "), log " + log);
            return engine;
        } catch (Throwable t) {
            lock.release();
            lockFile.close();
            throw t;
        }
    }

    /** {@code docker ARGS...}. */
    Result docker(Duration limit, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return run(limit, Map.of(), command.toArray(String[]::new));
    }

    /** {@code docker compose ARGS...} (or {@code docker-compose ARGS...}) with extra environment. */
    Result compose(Duration limit, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(compose);
        command.addAll(List.of(args));
        return run(limit, env, command.toArray(String[]::new));
    }

    String composeName() {
        return String.join(" ", compose);
    }

    /** Stops the engine if this class started it; releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroy();                       // SIGTERM: dockerd stops its containers and containerd
                try {
                    if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                        daemon.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    daemon.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
                System.out.println("stopped the dockerd this test started");
            }
        } finally {
            lock.release();
            lockFile.close();
        }
    }

    /**
     * Runs a command to its end, at most {@code limit} (then it and its children are killed and
     * the result says so), in the project's root, output to a temporary file so that nothing blocks.
     */
    static Result run(Duration limit, Map<String, String> env, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("lamportkv-docker-it", ".out");
        Path err = Files.createTempFile("lamportkv-docker-it", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(ProcessCluster.ROOT.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, Files.readString(out, StandardCharsets.UTF_8), String.join(" ", command)
                        + ": did not finish within " + limit.toSeconds() + " s; its stderr:\n"
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static List<String> composeCommand() throws Exception {
        if (run(Duration.ofSeconds(20), Map.of(), "docker", "compose", "version").ok()) {
            return List.of("docker", "compose");
        }
        if (found("docker-compose") && run(Duration.ofSeconds(20), Map.of(), "docker-compose", "version").ok()) {
            return List.of("docker-compose");
        }
        return null;
    }

    private static boolean found(String command) throws Exception {
        return run(Duration.ofSeconds(10), Map.of(), "sh", "-c", "command -v " + command).ok();
    }

    private static String tail(Path file, int lines) throws IOException {
        List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static String skip(String reason) {
        String message = "Docker test skipped: " + reason;
        System.out.println(message);
        return message;
    }
}
