package lamportkv.bench;

import java.util.Random;

/**
 * What the benchmark's clients send: keys {@code k0 .. k(N-1)} chosen uniformly (as the etcd load
 * does), operations chosen by the {@link Mix}.
 *
 * <ul>
 *   <li>A mix without add or mult writes text values of {@code valueSize} bytes, {@code vvv...},
 *       the etcd load's value.</li>
 *   <li>A mix with add or mult needs every key to hold a number. Its keys are pre-loaded with
 *       numbers, its sets write numbers of {@code valueSize} digits (the same payload size), its
 *       adds add 1 and its mults multiply by 1, so values never approach the 1000-digit limit.</li>
 * </ul>
 */
public final class Workload {
    /** Numbers have at most 1000 digits; adds of 1 must never carry past that. */
    public static final int MAX_NUMERIC_VALUE_SIZE = 990;

    private final Mix mix;
    private final int keys;
    private final int valueSize;
    private final String textValue;

    public Workload(Mix mix, int keys, int valueSize) {
        if (keys <= 0) {
            throw new IllegalArgumentException("keys must be positive: " + keys);
        }
        if (valueSize <= 0 || (mix.numeric() && valueSize > MAX_NUMERIC_VALUE_SIZE)) {
            throw new IllegalArgumentException("bad value size " + valueSize);
        }
        this.mix = mix;
        this.keys = keys;
        this.valueSize = valueSize;
        this.textValue = "v".repeat(valueSize);
    }

    public Mix mix() {
        return mix;
    }

    public int keys() {
        return keys;
    }

    public int valueSize() {
        return valueSize;
    }

    /** Whether the keys must hold values before the load: every mix but pure sets reads or changes them. */
    public boolean needsPreload() {
        return !mix.onlySets();
    }

    /** The name of key {@code i}. */
    public static String key(int i) {
        return "k" + i;
    }

    /** The next operation's words, e.g. {@code [add, k17, 1]}. */
    public String[] next(Random random) {
        String key = key(random.nextInt(keys));
        return switch (mix.pick(random)) {
            case SET -> new String[] {"set", key, value(random)};
            case ADD -> new String[] {"add", key, "1"};
            case MULT -> new String[] {"mult", key, "1"};
            case GET -> new String[] {"get", key};
            case DEL -> new String[] {"del", key};
        };
    }

    /** The operation that gives key {@code i} its starting value. */
    public String[] preload(int i, Random random) {
        return new String[] {"set", key(i), value(random)};
    }

    /** A value as this mix's sets write it. */
    String value(Random random) {
        return mix.numeric() ? number(random) : textValue;
    }

    /** A random integer of exactly {@code valueSize} digits, no leading zero. */
    private String number(Random random) {
        char[] digits = new char[valueSize];
        digits[0] = (char) ('1' + random.nextInt(9));
        for (int i = 1; i < valueSize; i++) {
            digits[i] = (char) ('0' + random.nextInt(10));
        }
        return new String(digits);
    }
}
