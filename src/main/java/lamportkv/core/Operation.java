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
        permits Operation.OnData, Operation.Rev, Operation.Lock, Operation.Renew, Operation.Unlock, Operation.Expire {

    /** The most bytes (UTF-8) a key may have. */
    int MAX_KEY_BYTES = 256;

    /** The longest lease and the longest wait a {@code lock} may ask for: a day. */
    long MAX_LOCK_MILLIS = 86_400_000;

    /** A {@code lock} without a wait waits this long for its turn: an hour. */
    long DEFAULT_LOCK_WAIT_MILLIS = 3_600_000;

    /**
     * Applies this operation at its place in the order. A failure leaves the store untouched.
     * Each operation touches only what it names: the data, or the lock table.
     */
    Result apply(Store store);

    /**
     * What an operation sees of the replicated state when it is applied: the data, the revision it
     * is applied at (its position in the total order), the order's time, and the lock table.
     */
    interface Store {
        SortedMap<String, Value> data();

        /** This operation's revision: its position in the total order, the same on every replica. */
        long revision();

        /** The revision of {@code key}'s last change (a deletion too), or 0 if it was never written. */
        long revisionOf(String key);

        /** The order's time (epoch ms; {@link ClusterTime#UNKNOWN} before the first operation carried one). */
        long orderMillis();

        Locks locks();
    }

    /**
     * An operation on the data alone: the dictionary's own commands. The linearizability checker
     * runs these on its model, exactly as replicas do.
     */
    sealed interface OnData extends Operation permits Set, Get, Add, Mult, Del, Keys, Cas {
        /** Applies this operation to {@code data}. A failure leaves {@code data} untouched. */
        Result apply(SortedMap<String, Value> data);

        @Override
        default Result apply(Store store) {
            return apply(store.data());
        }
    }

    /** The command word, as typed in the shell. */
    String name();

    /** The key this operation touches, if it touches exactly one. */
    Optional<String> key();

    /** The operation as the shell would type it. */
    List<String> words();

    /** Whether the operation only reads ({@code get}, {@code keys}): a repeat of it is harmless. */
    default boolean readOnly() {
        return this instanceof Get || this instanceof Keys || this instanceof Rev;
    }

    /** {@code set KEY VALUE}: stores VALUE, a number if it parses as one. */
    record Set(String key0, Value value) implements OnData {
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
    record Get(String key0) implements OnData {
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
    record Add(String key0, BigDecimal operand) implements OnData {
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
    record Mult(String key0, BigDecimal operand) implements OnData {
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
    record Del(String key0) implements OnData {
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
    record Keys(String after) implements OnData {
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

    /**
     * {@code cas KEY EXPECTED NEW}: if KEY holds EXPECTED, as {@code get} prints it ({@code (nil)}
     * for absent), stores NEW and prints {@code 1}; else changes nothing and prints {@code 0}.
     */
    record Cas(String key0, String expected, Value value) implements OnData {
        public Cas {
            checkKey(key0);
            Objects.requireNonNull(expected, "expected");
            Objects.requireNonNull(value, "value");
            new Set(key0, value);                            // the same limits as set
        }

        @Override
        public Result apply(SortedMap<String, Value> data) {
            Value current = data.get(key0);
            String now = current == null ? Get.NIL : current.render();
            if (!now.equals(expected)) {
                return Result.ok("0");
            }
            data.put(key0, value);
            return Result.ok("1");
        }

        @Override
        public String name() {
            return "cas";
        }

        @Override
        public Optional<String> key() {
            return Optional.of(key0);
        }

        @Override
        public List<String> words() {
            return List.of(name(), key0, expected, value.render());
        }
    }

    /** {@code rev [KEY]}: this operation's own revision (the current one), or that of KEY's last change. */
    record Rev(Optional<String> key) implements Operation {
        public Rev {
            Objects.requireNonNull(key, "key");
            key.ifPresent(Operation::checkKey);
        }

        @Override
        public Result apply(Store store) {
            return Result.ok(String.valueOf(key.map(store::revisionOf).orElse(store.revision())));
        }

        @Override
        public String name() {
            return "rev";
        }

        @Override
        public List<String> words() {
            return key.map(k -> List.of(name(), k)).orElse(List.of(name()));
        }
    }

    /**
     * {@code lock NAME TTL [WAIT]} (seconds): holds lock NAME for TTL from its grant, or waits in
     * line for at most WAIT ({@link #DEFAULT_LOCK_WAIT_MILLIS} if not given). Prints
     * {@code granted TOKEN} or {@code queued TOKEN}; TOKEN is this operation's revision, the
     * fencing token of the grant. See {@link Locks}.
     */
    record Lock(String lock, long ttlMillis, long waitMillis) implements Operation {
        public Lock {
            checkKey(lock);
            checkMillis("lease", ttlMillis);
            checkMillis("wait", waitMillis);
        }

        @Override
        public Result apply(Store store) {
            if (store.orderMillis() == ClusterTime.UNKNOWN) {
                return Result.error("the cluster's time is not known yet (replicas are starting); retry in a moment");
            }
            return store.locks().acquire(lock, store.revision(), ttlMillis, waitMillis, store.orderMillis());
        }

        @Override
        public String name() {
            return "lock";
        }

        @Override
        public Optional<String> key() {
            return Optional.empty();
        }

        @Override
        public List<String> words() {
            return List.of(name(), lock, seconds(ttlMillis), seconds(waitMillis));
        }
    }

    /** {@code renew NAME TOKEN}: the lease of TOKEN (holding or waiting) lasts another TTL; {@code 1}, or {@code 0}. */
    record Renew(String lock, long token) implements Operation {
        public Renew {
            checkKey(lock);
            checkToken(token);
        }

        @Override
        public Result apply(Store store) {
            return store.locks().renew(lock, token, store.orderMillis());
        }

        @Override
        public String name() {
            return "renew";
        }

        @Override
        public Optional<String> key() {
            return Optional.empty();
        }

        @Override
        public List<String> words() {
            return List.of(name(), lock, String.valueOf(token));
        }
    }

    /** {@code unlock NAME TOKEN}: TOKEN lets go of NAME, or leaves its queue; {@code 1}, or {@code 0}. */
    record Unlock(String lock, long token) implements Operation {
        public Unlock {
            checkKey(lock);
            checkToken(token);
        }

        @Override
        public Result apply(Store store) {
            return store.locks().release(lock, token, store.orderMillis());
        }

        @Override
        public String name() {
            return "unlock";
        }

        @Override
        public Optional<String> key() {
            return Optional.empty();
        }

        @Override
        public List<String> words() {
            return List.of(name(), lock, String.valueOf(token));
        }
    }

    /**
     * No client sends this: a replica writes it so that the order's time moves, and leases end,
     * when nothing else is written ({@link Node#expiryTimer}). It carries only its time.
     */
    record Expire() implements Operation {
        @Override
        public Result apply(Store store) {
            return Result.ok("OK");
        }

        @Override
        public String name() {
            return "expire";
        }

        @Override
        public Optional<String> key() {
            return Optional.empty();
        }

        @Override
        public List<String> words() {
            return List.of(name());
        }
    }

    /** The most bytes of keys one {@code keys} result lists; the rest is one more command away. */
    int MAX_KEYS_BYTES = 60 * 1024;

    /** The command words that are replicated operations. */
    List<String> NAMES = List.of("set", "get", "add", "mult", "del", "keys", "cas", "rev", "lock", "renew", "unlock");

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
            case "cas" -> {
                arity(words, 4, "cas KEY EXPECTED NEW");
                checkKey(words.get(1));
                yield new Cas(words.get(1), words.get(2), Value.parse(words.get(3)));
            }
            case "rev" -> {
                if (words.size() > 2) {
                    arity(words, 1, "rev [KEY]");
                }
                yield new Rev(words.size() == 2 ? Optional.of(words.get(1)) : Optional.empty());
            }
            case "lock" -> {
                if (words.size() != 3 && words.size() != 4) {
                    arity(words, 0, "lock NAME TTL [WAIT] (seconds)");
                }
                checkKey(words.get(1));
                yield new Lock(words.get(1), parseMillis("TTL", words.get(2)),
                        words.size() == 4 ? parseMillis("WAIT", words.get(3)) : DEFAULT_LOCK_WAIT_MILLIS);
            }
            case "renew", "unlock" -> {
                arity(words, 3, name + " NAME TOKEN");
                checkKey(words.get(1));
                long token = parseToken(words.get(2));
                yield name.equals("renew") ? new Renew(words.get(1), token) : new Unlock(words.get(1), token);
            }
            default -> throw new OperationException("unknown command: " + abbreviate(name));
        };
    }

    /**
     * Reads a lease or a wait in seconds ({@code 10}, {@code 0.5}): more than 0, at most a day,
     * to the millisecond.
     *
     * @throws OperationException naming the word
     */
    static long parseMillis(String what, String raw) {
        java.math.BigDecimal seconds;
        try {
            seconds = Value.parseNumber(raw);
        } catch (OperationException e) {
            throw new OperationException("bad " + what + ": " + abbreviate(raw) + " (seconds, e.g. 10 or 0.5)");
        }
        java.math.BigDecimal millis = seconds.movePointRight(3);
        if (millis.signum() <= 0 || millis.compareTo(java.math.BigDecimal.valueOf(MAX_LOCK_MILLIS)) > 0
                || millis.stripTrailingZeros().scale() > 0) {
            throw new OperationException("bad " + what + ": " + abbreviate(raw)
                    + " (more than 0 and at most 86400 seconds, to the millisecond)");
        }
        return millis.longValueExact();
    }

    private static long parseToken(String raw) {
        try {
            long token = Long.parseLong(raw);
            checkToken(token);
            return token;
        } catch (NumberFormatException e) {
            throw new OperationException("bad token: " + abbreviate(raw) + " (the number lock printed)");
        }
    }

    private static void checkToken(long token) {
        if (token <= 0) {
            throw new OperationException("bad token: " + token + " (the number lock printed)");
        }
    }

    private static void checkMillis(String what, long millis) {
        if (millis <= 0 || millis > MAX_LOCK_MILLIS) {
            throw new OperationException("bad " + what + ": " + millis + " ms (more than 0, at most a day)");
        }
    }

    /** Milliseconds as seconds, the way {@code lock} takes them. */
    private static String seconds(long millis) {
        return java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
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
