package lamportkv.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The kinds of operation a benchmark issues and their relative weights, as written on the command
 * line: {@code set:60,add:20,get:20}. Each operation picks its kind at random with probability
 * weight / sum of weights.
 */
public final class Mix {
    /** The replicated commands a benchmark can issue. */
    public enum Kind {
        SET, ADD, GET, MULT, DEL;

        /** The command word, as typed: {@code set}. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind of(String word) {
            for (Kind k : values()) {
                if (k.word().equals(word)) {
                    return k;
                }
            }
            return null;
        }
    }

    /** Larger weights make no sense and could overflow the sum. */
    static final int MAX_WEIGHT = 1_000_000;

    private final Map<Kind, Integer> weights;
    private final Kind[] kinds;
    /** cumulative[i] = sum of the weights of kinds[0..i]. */
    private final int[] cumulative;

    private Mix(Map<Kind, Integer> weights) {
        this.weights = Collections.unmodifiableMap(new EnumMap<>(weights));
        this.kinds = new Kind[weights.size()];
        this.cumulative = new int[weights.size()];
        int i = 0;
        int sum = 0;
        for (Map.Entry<Kind, Integer> e : this.weights.entrySet()) {
            sum += e.getValue();
            kinds[i] = e.getKey();
            cumulative[i] = sum;
            i++;
        }
    }

    /**
     * Reads a mix: comma-separated {@code KIND:WEIGHT} pairs, kinds among set, add, get, mult and
     * del (each at most once), weights positive integers.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad part
     */
    public static Mix parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--mix: empty; expected e.g. set:60,add:20,get:20");
        }
        Map<Kind, Integer> weights = new EnumMap<>(Kind.class);
        for (String part : text.split(",", -1)) {
            String entry = part.strip();
            int colon = entry.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("--mix: expected KIND:WEIGHT, found '" + entry
                        + "' (e.g. set:60,add:20,get:20)");
            }
            String word = entry.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            Kind kind = Kind.of(word);
            if (kind == null) {
                throw new IllegalArgumentException("--mix: unknown kind '" + entry.substring(0, colon).strip()
                        + "' (known: " + known() + ")");
            }
            String weightText = entry.substring(colon + 1).strip();
            int weight;
            try {
                weight = Integer.parseInt(weightText);
            } catch (NumberFormatException e) {
                weight = -1;
            }
            if (weight <= 0 || weight > MAX_WEIGHT || !weightText.matches("[0-9]+")) {
                throw new IllegalArgumentException("--mix: weight of " + word + " must be a positive integer"
                        + " up to " + MAX_WEIGHT + ", found '" + weightText + "'");
            }
            if (weights.put(kind, weight) != null) {
                throw new IllegalArgumentException("--mix: " + word + " appears twice");
            }
        }
        return new Mix(weights);
    }

    private static String known() {
        List<String> words = new ArrayList<>();
        for (Kind k : Kind.values()) {
            words.add(k.word());
        }
        return String.join(", ", words);
    }

    /** Picks a kind with probability weight / total. */
    public Kind pick(Random random) {
        return pick(random.nextInt(total()));
    }

    /** The kind for a draw {@code r} in {@code [0, total())}. */
    Kind pick(int r) {
        for (int i = 0; i < cumulative.length; i++) {
            if (r < cumulative[i]) {
                return kinds[i];
            }
        }
        throw new IllegalArgumentException("draw out of range: " + r);
    }

    public int total() {
        return cumulative[cumulative.length - 1];
    }

    public Map<Kind, Integer> weights() {
        return weights;
    }

    public boolean contains(Kind kind) {
        return weights.containsKey(kind);
    }

    /** Whether some operation needs numbers in the values: add or mult. */
    public boolean numeric() {
        return contains(Kind.ADD) || contains(Kind.MULT);
    }

    /** Whether the mix only writes: no key needs a value before the load starts. */
    public boolean onlySets() {
        return weights.size() == 1 && contains(Kind.SET);
    }

    /** The canonical form, kinds in a fixed order: {@code set:60,add:20,get:20}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        weights.forEach((k, w) -> parts.add(k.word() + ":" + w));
        return String.join(",", parts);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mix m && m.weights.equals(weights);
    }

    @Override
    public int hashCode() {
        return weights.hashCode();
    }
}
