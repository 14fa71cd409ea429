package lamportkv.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One long-running {@code run-client.sh} in piped mode, fed one command at a time: the next
 * command goes in only after the previous one's outcome came out, so each outcome belongs to
 * exactly one command. A result is a line on stdout; a failure is a line {@code error: ...} on
 * stderr; other stderr lines (retry notices) are kept as notes.
 */
final class PipedClient implements AutoCloseable {
    /** A command's outcome: ok with its output line, or the error message. */
    record Outcome(boolean ok, String text) {
    }

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
    private final List<String> notes = new ArrayList<>();

    PipedClient(Path root, Path config, Path dir, List<String> options) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("run-client.sh").toString(),
                "--config", config.toString()));
        command.addAll(options);
        process = new ProcessBuilder(command).directory(dir.toFile()).start();
        stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        pump(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), false);
        pump(new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), true);
    }

    private void pump(BufferedReader reader, boolean stderr) {
        Thread t = new Thread(() -> {
            try {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (!stderr) {
                        outcomes.add(new Outcome(true, line));
                    } else if (line.startsWith("error: ")) {
                        outcomes.add(new Outcome(false, line.substring("error: ".length())));
                    } else {
                        synchronized (notes) {
                            notes.add(line);
                        }
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
        }, "piped-client-" + (stderr ? "err" : "out"));
        t.setDaemon(true);
        t.start();
    }

    /** Runs one command and waits for its outcome. */
    Outcome run(String command, long timeoutSeconds) throws IOException, InterruptedException {
        stdin.write(command + "\n");
        stdin.flush();
        Outcome o = outcomes.poll(timeoutSeconds, TimeUnit.SECONDS);
        if (o == null) {
            throw new AssertionError("no outcome for '" + command + "' within " + timeoutSeconds + "s; notes: " + notes());
        }
        return o;
    }

    List<String> notes() {
        synchronized (notes) {
            return new ArrayList<>(notes);
        }
    }

    /** Ends the client at once (SIGKILL), whatever it is doing: for a test that gave up. */
    void kill() {
        process.destroyForcibly();
    }

    /**
     * SIGKILL to the client's JVM ({@code run-client.sh} execs {@code java}, so the process is the
     * JVM), as {@code kill -9} would: no shutdown hook, nothing more sent. Waits until it is gone;
     * returns its exit status (137, 128 + 9, for a process ended by SIGKILL).
     */
    int killAndWait(long timeoutSeconds) throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new AssertionError("client " + process.pid() + " still runs " + timeoutSeconds + "s after SIGKILL");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stdin.close();
        } catch (IOException e) {
            // Already gone.
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
