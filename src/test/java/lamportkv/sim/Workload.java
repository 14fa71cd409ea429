package lamportkv.sim;

import java.util.List;
import java.util.Random;
import lamportkv.core.Operation;

/**
 * The operations simulated clients send: a random mix of every command over a few keys, with
 * small numbers so values stay short. A shared {@link #COUNTER} gets only positive adds (and
 * reads) after one initial {@code set}, so distinct add results can be checked. Some operations
 * fail on purpose: {@code add} on text, {@code mult} on a missing key, adds before the counter
 * exists.
 */
final class Workload {
    static final String COUNTER = "counter";
    static final Operation INIT_COUNTER = parse("set " + COUNTER + " 0");

    private static final List<String> TEXTS = List.of("a", "b", "hello");
    private final Random random;
    private final List<String> keys;

    Workload(Random random) {
        this.random = random;
        this.keys = random.nextBoolean() ? List.of("x", "y") : List.of("x", "y", "z");
    }

    List<String> keys() {
        return keys;
    }

    Operation next() {
        int dice = random.nextInt(100);
        if (dice < 25) {
            return parse("add " + COUNTER + " " + (1 + random.nextInt(3)));
        }
        if (dice < 30) {
            return parse("get " + COUNTER);
        }
        if (dice < 35) {
            return parse("keys");
        }
        String key = keys.get(random.nextInt(keys.size()));
        return parse(switch (random.nextInt(6)) {
            case 0 -> "set " + key + " " + (random.nextInt(4) == 0
                    ? TEXTS.get(random.nextInt(TEXTS.size())) : Integer.toString(random.nextInt(13) - 3));
            case 1, 2 -> "get " + key;
            case 3 -> "add " + key + " " + (random.nextInt(8) == 0 ? "0.5" : Integer.toString(random.nextInt(7) - 2));
            case 4 -> "mult " + key + " " + (random.nextInt(6) - 2);
            default -> "del " + key;
        });
    }

    private static Operation parse(String line) {
        return Operation.parse(List.of(line.split(" ")));
    }
}
