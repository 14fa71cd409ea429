package lamportkv.client;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.reader.impl.completer.ArgumentCompleter;
import org.jline.reader.impl.completer.NullCompleter;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.terminal.Terminal;

/**
 * The interactive shell: a JLine prompt naming the replica, history, tab completion of command
 * names. A failing command prints its error and the shell goes on; {@code exit}, {@code quit} or
 * Ctrl-D end it, Ctrl-C clears the line, or stops the command running ({@code watch}, a waiting
 * {@code lock}).
 */
final class Shell {
    private final Terminal terminal;
    private final Session session;
    private final PrintStream err;
    private final Path historyFile;

    Shell(Terminal terminal, Session session, PrintStream err, Path historyFile) {
        this.terminal = terminal;
        this.session = session;
        this.err = err;
        this.historyFile = historyFile;
    }

    /** Runs until the user leaves; returns 0: errors were shown as they happened. */
    int run() {
        LineReader reader = reader();
        try {
            session.connection().connect();
        } catch (CommandFailure e) {
            // Not fatal: the replica may come up; every command tries again.
            err.println("error: " + e.getMessage());
        }
        err.flush();
        try {
            loop(reader);
        } finally {
            saveHistory(reader);
        }
        return 0;
    }

    private void loop(LineReader reader) {
        while (true) {
            String line;
            try {
                line = reader.readLine(session.connection().endpoint().promptName() + "> ");
            } catch (UserInterruptException e) {
                continue;
            } catch (EndOfFileException e) {
                return;
            }
            List<String> words;
            try {
                words = Words.split(line);
            } catch (IllegalArgumentException e) {
                err.println("error: " + e.getMessage());
                continue;
            }
            if (Session.isExit(words)) {
                return;
            }
            if (!words.isEmpty()) {
                runInterruptibly(words);
            }
        }
    }

    /** Runs a command; Ctrl-C meanwhile interrupts it (a watch, a lock wait) and returns to the prompt. */
    private void runInterruptibly(List<String> words) {
        Thread command = Thread.currentThread();
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, signal -> command.interrupt());
        try {
            session.run(words);
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
            Thread.interrupted();               // a Ctrl-C that came as the command ended is spent
        }
    }

    private LineReader reader() {
        DefaultParser parser = new DefaultParser();
        parser.setEofOnUnclosedQuote(false);   // Words reports an unclosed quote; no continuation prompt
        return LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("lamportkv")
                .parser(parser)
                .completer(new ArgumentCompleter(new StringsCompleter(Verb.words()), NullCompleter.INSTANCE))
                .variable(LineReader.HISTORY_FILE, historyFile)
                .option(LineReader.Option.HISTORY_IGNORE_SPACE, true)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)   // '!' in a value is just '!'
                .build();
    }

    private void saveHistory(LineReader reader) {
        try {
            reader.getHistory().save();
        } catch (IOException e) {
            err.println("warning: cannot save the shell's history to " + historyFile + ": " + e.getMessage());
        }
    }
}
