package lamportkv.core;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;

/**
 * A client operation on the dictionary. Operations are data: each record has one deterministic
 * {@link #apply} that every replica runs in the same order, so every replica reaches the same
 * data and the same {@link Result}, errors included (rule 6 of the protocol).
 */
public sealed interface Operation
        permits Operation.Set, Operation.Get, Operation.Add, Operation.Mult, Operation.Del, Operation.Keys {

    /** The most bytes (UTF-8) a key may have. */
    int MAX_KEY_BYTES = 256;

    /** Applies this operation to {@code data}. A failure leaves {@code data} untouched. */
    Result apply(SortedMap<String, Value> data);

    /** The command word, as typed in the shell. */
    String name();

    /** The key this operation touches, if it touches exactly one. */
    Optional<String> key();

    /** The operation as the shell would type it. */
    List<String> words();

    /** Whether the operation only reads ({@code get}, {@code keys}): a repeat of it is harmless. */
    default boolean readOnly() {
        return this instanceof Get || this instanceof Keys;
    }

    /** {@code set KEY VALUE}: stores VALUE, a number if it parses as one. */
    record Set(String key0, Value value) implements Operation {
        public Set {
            checkKey(key0);
            Objects.requireNonNull(value, "value");
            if (value instanceof Value.Text text) {         // decoded or built in code: the same limit as set
                int bytes = text.text().getBytes(StandardCharsets.UTF_8).length;
                if (bytes > Value.MAX_VALUE_BYTES) {
                    throw new OperationException("value too long: " + bytes + " bytes, at most " + Value.MAX_VALUE_BYTES);
                }
            }
        }

        @Override
        public Result apply(SortedMap<String, Value> data) {
            data.put(key0, value);
            return Result.ok("OK");
        }

        @Override
        public String name() {
            return "set";
        }

        @Override
        public Optional<String> key() {
            return Optional.of(key0);
        }

        @Override
        public List<String> words() {
            return List.of(name(), key0, value.render());
        }
    }

    /** {@code get KEY}: the value, or {@code (nil)}. */
    record Get(String key0) implements Operation {
        public static final String NIL = "(nil)";

        public Get {
            checkKey(key0);
        }

        @Override
        public Result apply(SortedMap<String, Value> data) {
            Value v = data.get(key0);
            return Result.ok(v == null ? NIL : v.render());
        }

        @Override
        public String name() {
            return "get";
        }

        @Override
        public Optional<String> key() {
            return Optional.of(key0);
        }

        @Override
        public List<String> words() {
            return List.of(name(), key0);
        }
    }

    /** {@code add KEY N}: value + N; the key must hold a number. */
    record Add(String key0, BigDecimal operand) implements Operation {
        public Add {
            checkKey(key0);
            operand = Value.checkSize(operand);
        }

        @Override
        public Result apply(SortedMap<String, Value> data) {
            return arithmetic(data, key0, n -> n.add(operand));
        }

        @Override
        public String name() {
            return "add";
        }

        @Override
        public Optional<String> key() {
            return Optional.of(key0);
        }

        @Override
        public List<String> words() {
            return List.of(name(), key0, operand.toPlainString());
        }
    }

    /** {@code mult KEY N}: value × N; the key must hold a number. */
    record Mult(String key0, BigDecimal operand) implements Operation {
        public Mult {
            checkKey(key0);
            operand = Value.checkSize(operand);
        }

        @Override
        public Result apply(SortedMap<String, Value> data) {
            return arithmetic(data, key0, n -> n.multiply(operand));
        }

        @Override
        public String name() {
            return "mult";
        }

        @Override
        public Optional<String> key() {
            return Optional.of(key0);
        }

        @Override
        public List<String> words() {
            return List.of(name(), key0, operand.toPlainString());
        }
    }

    /** {@code del KEY}: {@code 1} if the key existed, else {@code 0}. */
    record Del(String key0) implements Operation {
        public Del {
            checkKey(key0);
        }

        @Override
        public Result apply(SortedMap<String, Value> data) {
            return Result.ok(data.remove(key0) == null ? "0" : "1");
        }

        @Override
        public String name() {
            return "del";
        }

        @Override
        public Optional<String> key() {
            return Optional.of(key0);
        }

        @Override
        public List<String> words() {
            return List.of(name(), key0);
        }
    }

    /**
     * {@code keys [AFTER]}: the keys, sorted, space-separated; with AFTER, only the keys after it.
     * A result holds at most {@value #MAX_KEYS_BYTES} bytes of keys, so that every result fits in
     * a message; a longer listing ends with {@code (and N more: keys LAST)}, the command for the
     * next page.
     *
     * @param after the key the listing starts after, or the empty string for the first key
     */
    record Keys(String after) implements Operation {
        public Keys {
            Objects.requireNonNull(after, "after");
            if (!after.isEmpty()) {
                checkKey(after);
            }
        }

        /** Every key from the first. */
        public Keys() {
            this("");
        }

        @Override
        public Result apply(SortedMap<String, Value> data) {
            SortedMap<String, Value> rest = after.isEmpty() ? data : data.tailMap(after + "\0");
            StringBuilder line = new StringBuilder();
            int bytes = 0;
            int listed = 0;
            String last = null;
            for (String key : rest.keySet()) {
                int size = key.getBytes(StandardCharsets.UTF_8).length + (listed == 0 ? 0 : 1);
                if (bytes + size > MAX_KEYS_BYTES) {
                    line.append(" (and ").append(rest.size() - listed).append(" more: keys ").append(last).append(')');
                    break;
                }
                line.append(listed == 0 ? "" : " ").append(key);
                bytes += size;
                listed++;
                last = key;
            }
            return Result.ok(line.toString());
        }

        @Override
        public String name() {
            return "keys";
        }

        @Override
        public Optional<String> key() {
            return Optional.empty();
        }

        @Override
        public List<String> words() {
            return after.isEmpty() ? List.of(name()) : List.of(name(), after);
        }
    }

    /** The most bytes of keys one {@code keys} result lists; the rest is one more command away. */
    int MAX_KEYS_BYTES = 60 * 1024;

    /** The command words that are replicated operations. */
    List<String> NAMES = List.of("set", "get", "add", "mult", "del", "keys");

    /**
     * Reads an operation from its words, as typed in the shell ({@code add x 5}). Used by the
     * client to reject bad input before anything is sent, and by the replica, which never trusts
     * the client to have done so.
     *
     * @throws OperationException naming the bad word
     */
    static Operation parse(List<String> words) {
        if (words.isEmpty()) {
            throw new OperationException("empty command");
        }
        String name = words.get(0);
        return switch (name) {
            case "set" -> {
                arity(words, 3, "set KEY VALUE");
                yield new Set(words.get(1), Value.parse(words.get(2)));
            }
            case "get" -> {
                arity(words, 2, "get KEY");
                yield new Get(words.get(1));
            }
            case "add" -> {
                arity(words, 3, "add KEY N");
                checkKey(words.get(1));
                yield new Add(words.get(1), Value.parseNumber(words.get(2)));
            }
            case "mult" -> {
                arity(words, 3, "mult KEY N");
                checkKey(words.get(1));
                yield new Mult(words.get(1), Value.parseNumber(words.get(2)));
            }
            case "del" -> {
                arity(words, 2, "del KEY");
                yield new Del(words.get(1));
            }
            case "keys" -> {
                if (words.size() > 2) {
                    arity(words, 1, "keys [AFTER]");
                }
                yield words.size() == 2 ? new Keys(words.get(1)) : new Keys();
            }
            default -> throw new OperationException("unknown command: " + abbreviate(name));
        };
    }

    /**
     * Checks a key: 1 to {@value #MAX_KEY_BYTES} bytes of UTF-8, no whitespace or control characters.
     *
     * @throws OperationException naming the key
     */
    static void checkKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new OperationException("empty key: keys are 1 to " + MAX_KEY_BYTES + " bytes");
        }
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_KEY_BYTES) {
            throw new OperationException("key too long: " + bytes + " bytes, at most " + MAX_KEY_BYTES
                    + " (" + abbreviate(key) + ")");
        }
        if (key.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c)
                || Character.isSpaceChar(c) || c == 0xFFFD)) {
            throw new OperationException("bad key: " + abbreviate(key.replaceAll("\\p{Cntrl}", "?"))
                    + " (no whitespace or control characters)");
        }
    }

    private static void arity(List<String> words, int expected, String usage) {
        if (words.size() != expected) {
            throw new OperationException("wrong number of arguments for '" + words.get(0) + "': usage: " + usage);
        }
    }

    private static String abbreviate(String s) {
        String shown = s.length() <= 40 ? s : s.substring(0, 37) + "...";
        return shown.replaceAll("[\\p{Cc}\\u2028\\u2029]", "?");     // controls (NEL too) and line separators
    }

    private static Result arithmetic(SortedMap<String, Value> data, String key,
                                     java.util.function.UnaryOperator<BigDecimal> f) {
        Value current = data.get(key);
        if (current == null) {
            return Result.error("no such key: " + key);
        }
        if (!(current instanceof Value.Num num)) {
            return Result.error("not a number: " + key);
        }
        BigDecimal next = f.apply(num.number());
        Value.Num stored;
        try {
            stored = new Value.Num(Value.checkSize(next));
        } catch (OperationException tooLarge) {
            return Result.error(tooLarge.getMessage());
        }
        data.put(key, stored);
        return Result.ok(stored.render());
    }
}
