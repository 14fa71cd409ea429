package lamportkv.client;

import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lamportkv.core.Operation;
import lamportkv.core.OperationException;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;

/**
 * Runs the user's commands one at a time against a {@link Connection}: results to stdout, one
 * line {@code error: ...} per failure to stderr. Replicated commands are checked here first, so
 * a typo never reaches a replica.
 */
final class Session {
    private final Connection connection;
    private final PrintStream out;
    private final PrintStream err;
    private final long clientId;
    private final long timeoutMillis;
    private final Clock clock;
    /** Numbers this client's operations, so a replica recognises a resent one. */
    private long nextSeq = 1;

    Session(Connection connection, PrintStream out, PrintStream err, long clientId, long timeoutMillis, Clock clock) {
        this.connection = connection;
        this.out = out;
        this.err = err;
        this.clientId = clientId;
        this.timeoutMillis = timeoutMillis;
        this.clock = clock;
    }

    Connection connection() {
        return connection;
    }

    /** Splits a typed line into words and runs it; returns whether it succeeded. */
    boolean runLine(String line) {
        List<String> words;
        try {
            words = Words.split(line);
        } catch (IllegalArgumentException e) {
            return failed(e.getMessage());
        }
        return words.isEmpty() || run(words);
    }

    /** Runs one command; returns whether it succeeded. */
    boolean run(List<String> typed) {
        try {
            List<String> words = new ArrayList<>(typed);
            Verb verb = verb(words.get(0));
            words.set(0, verb.word());
            print(execute(verb, words));
            return true;
        } catch (CommandFailure e) {
            return failed(e.getMessage());
        } finally {
            out.flush();
            err.flush();
        }
    }

    private List<String> execute(Verb verb, List<String> words) throws CommandFailure {
        if (verb.replicated()) {
            return List.of(replicated(verb, words));
        }
        arity(verb, words);
        String what = String.join(" ", words);
        return switch (verb) {
            case TICK -> List.of(String.valueOf(connection.call(what, true, ReplicaService::tick)));
            case HASH -> List.of(connection.call(what, false, ReplicaService::hash).toString());
            case STATUS -> StatusFormat.lines(connection.call(what, false, ReplicaService::status), clock);
            case HELP -> Verb.help();
            case EXIT -> List.of();
            default -> throw new IllegalStateException("not a local command: " + verb);
        };
    }

    private String replicated(Verb verb, List<String> words) throws CommandFailure {
        try {
            Operation.parse(words);
        } catch (OperationException e) {
            throw new CommandFailure(e.getMessage());
        }
        long seq = nextSeq++;
        // Every attempt carries the same client id and seq, so the cluster applies it at most once.
        Connection.Outcome outcome = connection.execute(String.join(" ", words),
                left -> Command.of(clientId, seq, words, left), timeoutMillis);
        Reply reply = outcome.reply();
        Attempts attempts = outcome.attempts();
        return switch (reply.status()) {
            case OK -> reply.text();
            // Applied, and failed the same way everywhere: the text is the error.
            case FAILED -> throw new CommandFailure(reply.text());
            // Bad input: refused, as any replica would; open only if an earlier attempt may have applied.
            case REFUSED -> throw new CommandFailure(reply.text() + attempts.verdictWords(""));
            case NOT_APPLIED -> throw new CommandFailure(wholeBudget(reply.text()) + attempts.verdictWords("; not applied"));
            case TIMEOUT -> throw new CommandFailure(wholeBudget(reply.text()) + Attempts.MAY_STILL_BE_APPLIED);
            // Never final: the connection tries elsewhere until the budget ends, then fails itself.
            case UNAVAILABLE, ABANDONED -> throw new IllegalStateException("not a final answer: " + reply);
        };
    }

    /** The replica counted from the last attempt; the user asked for the whole budget. */
    private String wholeBudget(String text) {
        return text.replaceFirst("^timed out after [0-9.]+s", "timed out after " + Seconds.format(timeoutMillis));
    }

    private static Verb verb(String word) throws CommandFailure {
        Optional<Verb> verb = Verb.find(word);
        if (verb.isEmpty()) {
            throw new CommandFailure("unknown command: " + abbreviate(word) + " (type help for the list)");
        }
        return verb.get();
    }

    private static void arity(Verb verb, List<String> words) throws CommandFailure {
        if (words.size() != 1) {
            throw new CommandFailure("wrong number of arguments for '" + verb.word() + "': usage: " + verb.usage());
        }
    }

    private void print(List<String> lines) {
        lines.forEach(out::println);
    }

    private boolean failed(String message) {
        err.println("error: " + message);
        err.flush();
        return false;
    }

    private static String abbreviate(String s) {
        String printable = s.replaceAll("\\p{Cntrl}", "?");
        return printable.length() <= 40 ? printable : printable.substring(0, 37) + "...";
    }

    /** Whether a command word asks to leave the shell. */
    static boolean isExit(List<String> words) {
        return words.size() == 1 && Verb.find(words.get(0)).orElse(Verb.HELP) == Verb.EXIT;
    }
}
