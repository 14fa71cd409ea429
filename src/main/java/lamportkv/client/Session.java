package lamportkv.client;

import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lamportkv.core.Operation;
import lamportkv.core.OperationException;
import lamportkv.rmi.ReplicaService;

/**
 * Runs the user's commands one at a time through a {@link LamportKv} (the one client path: the
 * library's): results to stdout, one line {@code error: ...} per failure to stderr. Replicated
 * commands are checked first, so a typo never reaches a replica. {@code watch} and a waiting
 * {@code lock} run until done or interrupted (Ctrl-C in the shell).
 */
final class Session {
    private final LamportKv kv;
    private final PrintStream out;
    private final PrintStream err;
    private final Clock clock;

    Session(LamportKv kv, PrintStream out, PrintStream err, Clock clock) {
        this.kv = kv;
        this.out = out;
        this.err = err;
        this.clock = clock;
    }

    /** The connection of the shell's one lane: the replica its prompt names. */
    Connection connection() {
        return kv.primary().connection;
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
            execute(verb, words);
            return true;
        } catch (CommandFailure | KvException | IllegalArgumentException e) {
            return failed(e.getMessage());
        } finally {
            out.flush();
            err.flush();
        }
    }

    private void execute(Verb verb, List<String> words) throws CommandFailure {
        switch (verb) {
            case LOCK -> lock(words);
            case WATCH -> watch(words);
            default -> {
                if (verb.replicated()) {
                    print(List.of(kv.execute(words)));
                    return;
                }
                arity(verb, words);
                String what = String.join(" ", words);
                Connection connection = connection();
                print(switch (verb) {
                    case TICK -> List.of(String.valueOf(connection.call(what, true, ReplicaService::tick)));
                    case HASH -> List.of(connection.call(what, false, ReplicaService::hash).toString());
                    case STATUS -> StatusFormat.lines(connection.call(what, false, ReplicaService::status), clock);
                    case HELP -> Verb.help();
                    case EXIT -> List.of();
                    default -> throw new IllegalStateException("not a local command: " + verb);
                });
            }
        }
    }

    /** {@code lock NAME TTL [WAIT]}: waits for the grant (saying so on stderr), then prints the token. */
    private void lock(List<String> words) throws CommandFailure {
        Operation.Lock lock;
        try {
            lock = (Operation.Lock) Operation.parse(words);
        } catch (OperationException e) {
            throw new CommandFailure(e.getMessage());
        }
        Lock.Grant grant = kv.acquire(lock.lock(), lock.ttlMillis(), lock.waitMillis(), () -> {
            err.println("waiting for lock " + lock.lock() + " (Ctrl-C leaves the queue)");
            err.flush();
        });
        if (grant == null) {
            throw new CommandFailure("lock " + lock.lock() + " was not granted within "
                    + Seconds.format(lock.waitMillis()) + "; left the queue");
        }
        print(List.of(String.valueOf(grant.token())));
    }

    /** {@code watch PATTERN [--from REV] [--count N]}: one line per change until N, or until interrupted. */
    private void watch(List<String> words) throws CommandFailure {
        String usage = "usage: " + Verb.WATCH.usage();
        if (words.size() < 2 || words.size() % 2 != 0) {
            throw new CommandFailure("wrong number of arguments for 'watch': " + usage);
        }
        String pattern = words.get(1);
        long from = 0;
        long count = Long.MAX_VALUE;
        for (int i = 2; i < words.size(); i += 2) {
            String option = words.get(i);
            long n = positive(option, words.get(i + 1), usage);
            switch (option) {
                case "--from" -> from = n;
                case "--count" -> count = n;
                default -> throw new CommandFailure("unknown option for 'watch': " + abbreviate(option) + "; " + usage);
            }
        }
        if (from == 0) {
            from = kv.revision() + 1;                 // from now: after this very read
        }
        WatchCursor cursor = kv.cursor(pattern, from);
        long printed = 0;
        try {
            while (printed < count) {
                for (Change c : cursor.poll(LamportKv.pollMillis())) {
                    out.println(c);
                    if (++printed == count) {
                        break;
                    }
                }
                out.flush();
            }
        } catch (InterruptedException e) {
            // Ctrl-C: back to the prompt
        }
    }

    private static long positive(String option, String raw, String usage) throws CommandFailure {
        try {
            long n = Long.parseLong(raw);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new CommandFailure("bad " + option + ": " + abbreviate(raw) + " (a whole number, 1 or more); " + usage);
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
