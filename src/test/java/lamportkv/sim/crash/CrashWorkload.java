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
    /** Leases short and long against the simulation's steps (one step is a millisecond of each clock). */
    private static final List<String> TTLS = List.of("0.02", "0.2", "2");
    private final Random random;
    private final List<String> keys;
    private final boolean coordination;
    /** Tokens lock requests were answered with, per lock: what renew and unlock name (the rest random). */
    private final java.util.Map<String, List<Long>> tokens = new java.util.HashMap<>();

    CrashWorkload(Random random) {
        this(random, false);
    }

    /** @param coordination whether clients also use cas, rev and locks */
    CrashWorkload(Random random, boolean coordination) {
        this.random = random;
        this.keys = random.nextBoolean() ? List.of("x", "y") : List.of("x", "y", "z");
        this.coordination = coordination;
    }

    List<String> keys() {
        return keys;
    }

    Operation next() {
        if (coordination && random.nextInt(3) == 0) {
            return coordinating();
        }
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

    /**
     * cas on the keys (compared with values the mix writes), rev, and lock, renew and unlock of two
     * locks. Tokens are revisions, so small random ones name real requests often enough.
     */
    private Operation coordinating() {
        String key = keys.get(random.nextInt(keys.size()));
        String lock = random.nextBoolean() ? "L1" : "L2";
        List<Long> known = tokens.getOrDefault(lock, List.of());
        String token = Long.toString(!known.isEmpty() && random.nextInt(5) != 0
                ? known.get(random.nextInt(known.size())) : 1 + random.nextInt(150));
        return parse(switch (random.nextInt(7)) {
            case 0 -> "cas " + key + " " + (random.nextBoolean() ? "(nil)" : Integer.toString(random.nextInt(5)))
                    + " " + random.nextInt(5);
            case 1 -> random.nextBoolean() ? "rev" : "rev " + key;
            case 2, 3 -> "lock " + lock + " " + TTLS.get(random.nextInt(TTLS.size()))
                    + (random.nextBoolean() ? "" : " " + TTLS.get(random.nextInt(TTLS.size())));
            case 4 -> "renew " + lock + " " + token;
            default -> "unlock " + lock + " " + token;
        });
    }

    /** A client heard the answer to a lock request: later renews and unlocks may name its token. */
    void answered(Operation op, lamportkv.core.Result result) {
        if (op instanceof Operation.Lock lock && result.ok()) {
            List<Long> known = tokens.computeIfAbsent(lock.lock(), l -> new java.util.ArrayList<>());
            known.add(Long.parseLong(result.text().substring(result.text().indexOf(' ') + 1)));
            if (known.size() > 4) {
                known.remove(0);
            }
        }
    }

    private static Operation parse(String line) {
        return Operation.parse(List.of(line.split(" ")));
    }
}
