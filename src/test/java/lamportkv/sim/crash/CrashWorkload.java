package lamportkv.sim.crash;

import java.util.List;
import java.util.Random;
import lamportkv.core.Operation;

/**
 * What crash-simulation clients send. A shared {@link #COUNTER} is set once (the very first
 * operation, before any other client starts) and afterwards only gets {@code add counter 1}
 * (and reads): so its final value must equal the number of those adds — no add lost, none
 * applied twice. A few other keys get the full mix of set/get/add/mult/del/keys, with failing
 * operations on purpose ({@code add} on text, {@code mult} on a missing key).
 */
final class CrashWorkload {
    static final String COUNTER = "counter";
    static final Operation INIT_COUNTER = parse("set " + COUNTER + " 0");
    static final Operation ADD_ONE = parse("add " + COUNTER + " 1");

    private static final List<String> TEXTS = List.of("a", "hello");
    private final Random random;
    private final List<String> keys;

    CrashWorkload(Random random) {
        this.random = random;
        this.keys = random.nextBoolean() ? List.of("x", "y") : List.of("x", "y", "z");
    }

    List<String> keys() {
        return keys;
    }

    Operation next() {
        int dice = random.nextInt(100);
        if (dice < 35) {
            return ADD_ONE;
        }
        if (dice < 42) {
            return parse("get " + COUNTER);
        }
        if (dice < 46) {
            return parse("keys");
        }
        String key = keys.get(random.nextInt(keys.size()));
        return parse(switch (random.nextInt(6)) {
            case 0 -> "set " + key + " " + (random.nextInt(4) == 0
                    ? TEXTS.get(random.nextInt(TEXTS.size())) : Integer.toString(random.nextInt(13) - 3));
            case 1 -> "get " + key;
            case 2 -> "add " + key + " " + (random.nextInt(8) == 0 ? "0.5" : Integer.toString(random.nextInt(7) - 2));
            case 3 -> "mult " + key + " " + (random.nextInt(6) - 2);
            case 4 -> "del " + key;
            default -> random.nextBoolean() ? "get " + key : "add " + key + " 1";
        });
    }

    private static Operation parse(String line) {
        return Operation.parse(List.of(line.split(" ")));
    }
}
