package lamportkv.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;

/**
 * The progress line on stderr while a benchmark runs: redrawn in place (with {@code \r}) every
 * second on a terminal, else one line every 5 seconds, so a log or a pipe gets a few lines only.
 */
final class Progress {
    private final PrintStream err;
    private final boolean terminal;
    private final long intervalNanos;
    private long lastPrint;
    private int drawnWidth;

    Progress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
        this.intervalNanos = (terminal ? Bench.TERMINAL_PROGRESS_MILLIS : Bench.LOG_PROGRESS_MILLIS) * 1_000_000;
        this.lastPrint = System.nanoTime();
    }

    /** Whether this process's stderr is a terminal (Linux: where {@code /proc/self/fd/2} points). */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** Blocks until {@code end} (a {@link System#nanoTime()}), printing progress on the way. */
    void watch(String phase, long start, long end, LongFunction<String> line) {
        watchUntil(phase, start, () -> System.nanoTime() - end >= 0, line, end);
    }

    /** Blocks until {@code done}, printing progress on the way. */
    void watchUntil(String phase, long start, BooleanSupplier done, LongFunction<String> line) {
        watchUntil(phase, start, done, line, Long.MAX_VALUE);
    }

    private void watchUntil(String phase, long start, BooleanSupplier done, LongFunction<String> line, long end) {
        while (!done.getAsBoolean()) {
            long now = System.nanoTime();
            if (now - lastPrint >= intervalNanos) {
                print(phase, start, now, line);
            }
            long sleepNanos = Math.min(lastPrint + intervalNanos - now, 50_000_000L);
            if (end != Long.MAX_VALUE) {
                sleepNanos = Math.min(sleepNanos, end - now);
            }
            if (sleepNanos > 0) {
                try {
                    Thread.sleep(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void print(String phase, long start, long now, LongFunction<String> line) {
        lastPrint = now;
        String text = String.format(Locale.ROOT, "[%s] %6.1f s  %s", phase, (now - start) / 1e9, line.apply(now));
        if (terminal) {
            String padded = text.length() < drawnWidth ? text + " ".repeat(drawnWidth - text.length()) : text;
            err.print("\r" + padded);
            drawnWidth = text.length();
        } else {
            err.println(text);
        }
        err.flush();
    }

    /** Ends a redrawn line, so what follows starts on a line of its own. */
    void done() {
        if (terminal && drawnWidth > 0) {
            err.println();
            err.flush();
            drawnWidth = 0;
        }
    }
}
