package lamportkv.client;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The client's commands: the replicated operations and the ones about the connected replica or the shell. */
enum Verb {
    SET("set", "KEY VALUE", "store VALUE, a number if it parses as one, else text", true),
    GET("get", "KEY", "the value, or (nil)", true),
    ADD("add", "KEY N", "add N to the number at KEY; prints the new value", true),
    MULT("mult", "KEY N", "multiply the number at KEY by N; prints the new value", true),
    DEL("del", "KEY", "remove KEY; prints 1 if it existed, else 0", true),
    KEYS("keys", "[AFTER]", "the keys (after AFTER), sorted, on one line; a long list ends with the command for the next page", true),
    CAS("cas", "KEY EXPECTED NEW", "store NEW if KEY holds EXPECTED ((nil): absent); prints 1 if it did, else 0", true),
    REV("rev", "[KEY]", "the current revision, or that of KEY's last change (0: never written)", true),
    WATCH("watch", "PATTERN [--from REV] [--count N]", "print each change to PATTERN (KEY or PREFIX*) as REV KEY VALUE, until N or Ctrl-C", false),
    LOCK("lock", "NAME TTL [WAIT]", "wait (at most WAIT s, default 3600) for lock NAME, hold it TTL s; prints the fencing token", true),
    RENEW("renew", "NAME TOKEN", "extend TOKEN's lease by its TTL; prints 1, or 0 if TOKEN no longer holds NAME", true),
    UNLOCK("unlock", "NAME TOKEN", "release NAME; prints 1, or 0 if TOKEN no longer holds NAME", true),
    TICK("tick", "", "an internal event: this replica's clock + 1; prints it", false),
    HASH("hash", "", "this replica's state in brief: applied=<n> digest=<hex>", false),
    STATUS("status", "", "this replica's clock, buffer, applied count and peers", false),
    HELP("help", "", "this list", false),
    EXIT("exit", "", "leave the shell (also quit, or Ctrl-D)", false);

    private final String word;
    private final String arguments;
    private final String description;
    private final boolean replicated;

    Verb(String word, String arguments, String description, boolean replicated) {
        this.word = word;
        this.arguments = arguments;
        this.description = description;
        this.replicated = replicated;
    }

    /** The verb a command word names, in any letter case; {@code quit} is {@code exit}. */
    static Optional<Verb> find(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        if (w.equals("quit")) {
            return Optional.of(EXIT);
        }
        return Arrays.stream(values()).filter(v -> v.word.equals(w)).findFirst();
    }

    /** Every command word, for tab completion. */
    static List<String> words() {
        return List.of("set", "get", "add", "mult", "del", "keys", "cas", "rev", "watch", "lock", "renew", "unlock",
                "tick", "hash", "status", "help", "exit", "quit");
    }

    String word() {
        return word;
    }

    /** Whether the command goes through the ordering protocol (and is checked by {@code Operation.parse}). */
    boolean replicated() {
        return replicated;
    }

    /** Whether the command may change state, so a lost reply leaves its outcome unknown. */
    boolean changesState() {
        return this == SET || this == ADD || this == MULT || this == DEL || this == TICK || this == CAS
                || this == LOCK || this == RENEW || this == UNLOCK;
    }

    String usage() {
        return arguments.isEmpty() ? word : word + " " + arguments;
    }

    String description() {
        return description;
    }

    /** The help text: one line per command, usage then description, aligned. */
    static List<String> help() {
        int width = Arrays.stream(values()).mapToInt(v -> v.usage().length()).max().orElse(0) + 2;
        return Arrays.stream(values())
                .map(v -> String.format("%-" + width + "s%s", v.usage(), v.description))
                .toList();
    }
}
