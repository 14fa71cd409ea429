package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The six commands: parsing, results, and failures that change nothing. */
class OperationTest {
    private SortedMap<String, Value> data;

    @BeforeEach
    void emptyData() {
        data = new TreeMap<>();
    }

    /** Parses a shell line (words split on single spaces) and applies it to {@link #data}. */
    private Result run(String line) {
        return ((Operation.OnData) Operation.parse(Arrays.asList(line.split(" ", -1)))).apply(data);
    }

    private static Result ok(String text) {
        return Result.ok(text);
    }

    private static Result error(String text) {
        return Result.error(text);
    }

    @Nested
    @DisplayName("set and get")
    class SetAndGet {
        @Test
        @DisplayName("set answers OK and get returns the value")
        void setThenGet() {
            assertThat(run("set x hello")).isEqualTo(ok("OK"));
            assertThat(run("get x")).isEqualTo(ok("hello"));
        }

        @Test
        @DisplayName("get of a missing key answers (nil)")
        void getMissing() {
            assertThat(run("get nothing")).isEqualTo(ok("(nil)"));
            assertThat(data).isEmpty();
        }

        @Test
        @DisplayName("set stores a number if VALUE parses as one, else text")
        void setStoresNumberOrText() {
            run("set n 2.50");
            run("set t 2.5.0");
            assertThat(data).containsEntry("n", new Value.Num(new BigDecimal("2.5")))
                    .containsEntry("t", new Value.Text("2.5.0"));
            assertThat(run("get n")).isEqualTo(ok("2.5"));
            assertThat(run("get t")).isEqualTo(ok("2.5.0"));
        }

        @Test
        @DisplayName("set overwrites, also changing a number into text")
        void setOverwrites() {
            run("set x 1");
            assertThat(run("set x one")).isEqualTo(ok("OK"));
            assertThat(run("get x")).isEqualTo(ok("one"));
            assertThat(data).hasSize(1);
        }

        @Test
        @DisplayName("10 prints as 10, not 1E+1")
        void integersPrintPlainly() {
            run("set x 10");
            assertThat(run("get x")).isEqualTo(ok("10"));
            run("set y 1000.000");
            assertThat(run("get y")).isEqualTo(ok("1000"));
        }
    }

    @Nested
    @DisplayName("add and mult")
    class Arithmetic {
        @Test
        @DisplayName("add 0.1 ten times on 0 gives exactly 1")
        void addIsExact() {
            run("set x 0");
            Result last = null;
            for (int i = 0; i < 10; i++) {
                last = run("add x 0.1");
            }
            assertThat(last).isEqualTo(ok("1"));
            assertThat(run("get x")).isEqualTo(ok("1"));
        }

        @Test
        @DisplayName("add answers the new value; negative and fractional operands work")
        void addAnswersNewValue() {
            run("set x 5");
            assertThat(run("add x 3")).isEqualTo(ok("8"));
            assertThat(run("add x -10.5")).isEqualTo(ok("-2.5"));
            assertThat(run("add x 2.5")).isEqualTo(ok("0"));
            assertThat(run("get x")).isEqualTo(ok("0"));
        }

        @Test
        @DisplayName("mult answers the new value without trailing zeros")
        void multAnswersNewValue() {
            run("set x 2.5");
            assertThat(run("mult x 4")).isEqualTo(ok("10"));
            assertThat(run("mult x 0.25")).isEqualTo(ok("2.5"));
            assertThat(run("mult x -2")).isEqualTo(ok("-5"));
            assertThat(run("mult x 0")).isEqualTo(ok("0"));
        }

        @Test
        @DisplayName("exact decimals: 0.1 * 3 is 0.3 and 1.1 * 1.1 is 1.21")
        void multIsExact() {
            run("set x 0.1");
            assertThat(run("mult x 3")).isEqualTo(ok("0.3"));
            run("set y 1.1");
            assertThat(run("mult y 1.1")).isEqualTo(ok("1.21"));
        }

        @Test
        @DisplayName("add and mult on a missing key fail with 'no such key: KEY' and create nothing")
        void missingKey() {
            assertThat(run("add ghost 1")).isEqualTo(error("no such key: ghost"));
            assertThat(run("mult ghost 2")).isEqualTo(error("no such key: ghost"));
            assertThat(data).isEmpty();
        }

        @Test
        @DisplayName("add and mult on text fail with 'not a number: KEY' and leave the text")
        void textValue() {
            run("set name bob");
            assertThat(run("add name 1")).isEqualTo(error("not a number: name"));
            assertThat(run("mult name 2")).isEqualTo(error("not a number: name"));
            assertThat(data).containsExactly(java.util.Map.entry("name", new Value.Text("bob")));
        }

        @ParameterizedTest(name = "add x {0} fails at parse time naming it")
        @ValueSource(strings = {"abc", "1e3", "1.", "0x10", "NaN"})
        void operandMustBeANumber(String operand) {
            assertThatThrownBy(() -> Operation.parse(List.of("add", "x", operand)))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("not a number: " + operand);
            assertThatThrownBy(() -> Operation.parse(List.of("mult", "x", operand)))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("not a number: " + operand);
        }

        @Test
        @DisplayName("a result over 1000 digits fails with 'number too large' and changes nothing")
        void resultTooLarge() {
            String nines = "9".repeat(1000);
            run("set x " + nines);
            assertThat(run("add x 1")).isEqualTo(error("number too large"));
            assertThat(run("get x")).isEqualTo(ok(nines));
            assertThat(run("mult x 10")).isEqualTo(error("number too large"));
            assertThat(run("get x")).isEqualTo(ok(nines));
            assertThat(run("add x -1")).isEqualTo(ok("9".repeat(999) + "8"));
        }

        @Test
        @DisplayName("a result with more than 1000 fraction digits is too large as well")
        void fractionTooLong() {
            String smallest = "0." + "0".repeat(998) + "1";      // 1000 digits
            run("set x " + smallest);
            assertThat(run("mult x 0.1")).isEqualTo(error("number too large"));
            assertThat(run("get x")).isEqualTo(ok(smallest));
            assertThat(run("mult x 10")).isEqualTo(ok("0." + "0".repeat(997) + "1"));
        }

        @Test
        @DisplayName("a product of two 600-digit numbers is too large and changes nothing")
        void productTooLarge() {
            String big = "9".repeat(600);
            run("set x " + big);
            assertThat(run("mult x " + big)).isEqualTo(error("number too large"));
            assertThat(run("get x")).isEqualTo(ok(big));
        }
    }

    @Nested
    @DisplayName("del and keys")
    class DelAndKeys {
        @Test
        @DisplayName("del answers 1 if the key existed, else 0")
        void del() {
            run("set x 1");
            assertThat(run("del x")).isEqualTo(ok("1"));
            assertThat(run("del x")).isEqualTo(ok("0"));
            assertThat(run("get x")).isEqualTo(ok("(nil)"));
            assertThat(data).isEmpty();
        }

        @Test
        @DisplayName("keys of an empty dictionary is the empty string")
        void keysEmpty() {
            assertThat(run("keys")).isEqualTo(ok(""));
        }

        @Test
        @DisplayName("keys lists every key sorted, space-separated on one line")
        void keysSorted() {
            run("set zeta 1");
            run("set alpha 2");
            run("set Mid 3");
            run("set beta x");
            assertThat(run("keys")).isEqualTo(ok("Mid alpha beta zeta"));
            run("del alpha");
            assertThat(run("keys")).isEqualTo(ok("Mid beta zeta"));
        }

        @Test
        @DisplayName("keys AFTER lists only the keys after AFTER, whether or not AFTER exists")
        void keysAfter() {
            run("set a 1");
            run("set b 1");
            run("set bb 1");
            run("set c 1");
            assertThat(run("keys b")).isEqualTo(ok("bb c"));
            assertThat(run("keys ba")).isEqualTo(ok("bb c"));
            assertThat(run("keys c")).isEqualTo(ok(""));
            assertThat(Operation.parse(List.of("keys", "b")).words()).containsExactly("keys", "b");
            assertThatThrownBy(() -> Operation.parse(List.of("keys", "a", "b")))
                    .hasMessageContaining("usage: keys [AFTER]");
        }

        @Test
        @DisplayName("a long listing is cut at 60 KiB of keys and names the command for the next page; paging sees every key once")
        void keysPaged() {
            int n = 1000;
            for (int i = 0; i < n; i++) {
                run("set " + String.format("%03d", i) + "k".repeat(200) + " 1");
            }
            List<String> seen = new java.util.ArrayList<>();
            String command = "keys";
            int pages = 0;
            while (command != null) {
                String text = run(command).text();
                pages++;
                assertThat(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                        .isLessThanOrEqualTo(Operation.MAX_KEYS_BYTES + 300);
                java.util.regex.Matcher more = java.util.regex.Pattern.compile(" \\(and (\\d+) more: (keys \\S+)\\)$").matcher(text);
                if (more.find()) {
                    String listed = text.substring(0, more.start());
                    seen.addAll(List.of(listed.split(" ")));
                    assertThat(Integer.parseInt(more.group(1))).isEqualTo(n - seen.size());
                    command = more.group(2);
                } else {
                    seen.addAll(List.of(text.split(" ")));
                    command = null;
                }
            }
            assertThat(pages).isEqualTo(4);
            assertThat(seen).hasSize(n).doesNotHaveDuplicates().isSorted();
        }
    }

    @Nested
    @DisplayName("keys: 1 to 256 bytes of UTF-8, no whitespace or control characters")
    class KeyRules {
        @Test
        @DisplayName("a 256-byte key is accepted, 257 bytes is refused naming its length")
        void lengthLimit() {
            String max = "k".repeat(256);
            assertThat(Operation.parse(List.of("set", max, "1")).key()).contains(max);
            assertThatThrownBy(() -> Operation.parse(List.of("get", max + "k")))
                    .isInstanceOf(OperationException.class)
                    .hasMessageStartingWith("key too long: 257 bytes, at most 256 (kkk");
        }

        @Test
        @DisplayName("the key limit counts UTF-8 bytes")
        void lengthInBytes() {
            String max = "é".repeat(128);                  // 256 bytes
            Operation.checkKey(max);
            assertThatThrownBy(() -> Operation.checkKey(max + "a"))
                    .isInstanceOf(OperationException.class)
                    .hasMessageStartingWith("key too long: 257 bytes");
        }

        @Test
        @DisplayName("unicode keys are fine")
        void unicodeKeys() {
            assertThat(run("set ключ значение")).isEqualTo(ok("OK"));
            assertThat(run("set 日本🔑 1")).isEqualTo(ok("OK"));
            assertThat(run("keys")).isEqualTo(ok("ключ 日本🔑"));
            assertThat(run("get ключ")).isEqualTo(ok("значение"));
        }

        @Test
        @DisplayName("the empty key is refused")
        void emptyKey() {
            assertThatThrownBy(() -> Operation.parse(List.of("get", "")))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("empty key: keys are 1 to 256 bytes");
        }

        @ParameterizedTest(name = "key {0} is refused")
        @ValueSource(strings = {"a b", "a\tb", "a\nb", "a\rb", "\u0000", "nul\u0000", "a\u007fb", "a\u0085b",
                "a\u00a0b", "a\u2003b", "a\u2028b", "a\u3000b", "\ufffd"})
        void whitespaceAndControlCharactersAreRefused(String key) {
            for (String command : List.of("set", "get", "add", "mult", "del")) {
                List<String> words = command.equals("set") || command.equals("add") || command.equals("mult")
                        ? List.of(command, key, "1") : List.of(command, key);
                assertThatThrownBy(() -> Operation.parse(words))
                        .isInstanceOf(OperationException.class)
                        .hasMessageStartingWith("bad key: ")
                        .hasMessageEndingWith(" (no whitespace or control characters)")
                        .satisfies(e -> assertOneLine(e.getMessage()));
            }
        }

        @Test
        @DisplayName("the bad-key message names the key, control characters shown as ?")
        void badKeyMessageNamesTheKey() {
            assertThatThrownBy(() -> Operation.checkKey("my key"))
                    .hasMessage("bad key: my key (no whitespace or control characters)");
            assertThatThrownBy(() -> Operation.checkKey("a\nb"))
                    .hasMessage("bad key: a?b (no whitespace or control characters)");
        }

        @Test
        @DisplayName("records refuse bad keys too, not only the parser")
        void recordsCheckKeys() {
            assertThatThrownBy(() -> new Operation.Get("a b")).isInstanceOf(OperationException.class);
            assertThatThrownBy(() -> new Operation.Del("")).isInstanceOf(OperationException.class);
            assertThatThrownBy(() -> new Operation.Set("x y", new Value.Text("v"))).isInstanceOf(OperationException.class);
            assertThatThrownBy(() -> new Operation.Add(" ", BigDecimal.ONE)).isInstanceOf(OperationException.class);
            assertThatThrownBy(() -> new Operation.Mult("\t", BigDecimal.ONE)).isInstanceOf(OperationException.class);
        }

        @Test
        @DisplayName("a Set record refuses a text value over 64 KiB")
        void setRecordChecksValueSize() {
            assertThatThrownBy(() -> new Operation.Set("x", new Value.Text("v".repeat(Value.MAX_VALUE_BYTES + 1))))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("value too long: 65537 bytes, at most 65536");
            assertThat(new Operation.Set("x", new Value.Text("v".repeat(Value.MAX_VALUE_BYTES))).value().render())
                    .hasSize(Value.MAX_VALUE_BYTES);
        }
    }

    @Nested
    @DisplayName("parsing")
    class Parsing {
        @Test
        @DisplayName("each command parses to its record")
        void parsesEachCommand() {
            assertThat(Operation.parse(List.of("set", "x", "5")))
                    .isEqualTo(new Operation.Set("x", new Value.Num(BigDecimal.valueOf(5))));
            assertThat(Operation.parse(List.of("set", "x", "five"))).isEqualTo(new Operation.Set("x", new Value.Text("five")));
            assertThat(Operation.parse(List.of("get", "x"))).isEqualTo(new Operation.Get("x"));
            assertThat(Operation.parse(List.of("add", "x", "1.50"))).isEqualTo(new Operation.Add("x", new BigDecimal("1.5")));
            assertThat(Operation.parse(List.of("mult", "x", "-2"))).isEqualTo(new Operation.Mult("x", new BigDecimal("-2")));
            assertThat(Operation.parse(List.of("del", "x"))).isEqualTo(new Operation.Del("x"));
            assertThat(Operation.parse(List.of("keys"))).isEqualTo(new Operation.Keys());
        }

        @Test
        @DisplayName("words() gives back what parse reads, normalized")
        void wordsRoundTrip() {
            for (List<String> words : List.of(List.of("set", "x", "2.50"), List.of("set", "y", "a-b"), List.of("get", "x"),
                    List.of("add", "x", "0.10"), List.of("mult", "x", "3"), List.of("del", "k"), List.of("keys"))) {
                Operation op = Operation.parse(words);
                assertThat(Operation.parse(op.words())).isEqualTo(op);
                assertThat(op.name()).isEqualTo(words.get(0));
            }
            assertThat(Operation.parse(List.of("set", "x", "2.50")).words()).containsExactly("set", "x", "2.5");
            assertThat(Operation.parse(List.of("add", "x", "0.10")).words()).containsExactly("add", "x", "0.1");
        }

        @Test
        @DisplayName("key() names the key; keys has none")
        void keyAccessor() {
            assertThat(Operation.parse(List.of("del", "k")).key()).contains("k");
            assertThat(new Operation.Keys().key()).isEmpty();
        }

        @Test
        @DisplayName("only get and keys are read-only")
        void readOnly() {
            assertThat(Operation.parse(List.of("get", "x")).readOnly()).isTrue();
            assertThat(new Operation.Keys().readOnly()).isTrue();
            assertThat(Operation.parse(List.of("set", "x", "1")).readOnly()).isFalse();
            assertThat(Operation.parse(List.of("add", "x", "1")).readOnly()).isFalse();
            assertThat(Operation.parse(List.of("mult", "x", "1")).readOnly()).isFalse();
            assertThat(Operation.parse(List.of("del", "x")).readOnly()).isFalse();
        }

        @Test
        @DisplayName("wrong argument counts name the command and its usage")
        void arity() {
            assertThatThrownBy(() -> Operation.parse(List.of("set", "x")))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("wrong number of arguments for 'set': usage: set KEY VALUE");
            assertThatThrownBy(() -> Operation.parse(List.of("set", "x", "1", "2")))
                    .hasMessage("wrong number of arguments for 'set': usage: set KEY VALUE");
            assertThatThrownBy(() -> Operation.parse(List.of("get")))
                    .hasMessage("wrong number of arguments for 'get': usage: get KEY");
            assertThatThrownBy(() -> Operation.parse(List.of("add", "x")))
                    .hasMessage("wrong number of arguments for 'add': usage: add KEY N");
            assertThatThrownBy(() -> Operation.parse(List.of("mult", "x", "1", "2")))
                    .hasMessage("wrong number of arguments for 'mult': usage: mult KEY N");
            assertThatThrownBy(() -> Operation.parse(List.of("del", "a", "b")))
                    .hasMessage("wrong number of arguments for 'del': usage: del KEY");
            assertThatThrownBy(() -> Operation.parse(List.of("keys", "x", "y")))
                    .hasMessage("wrong number of arguments for 'keys': usage: keys [AFTER]");
        }

        @Test
        @DisplayName("an unknown or empty command is refused naming it")
        void unknownCommand() {
            assertThatThrownBy(() -> Operation.parse(List.of("incr", "x")))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("unknown command: incr");
            assertThatThrownBy(() -> Operation.parse(List.of("SET", "x", "1")))
                    .hasMessage("unknown command: SET");
            assertThatThrownBy(() -> Operation.parse(List.of()))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("empty command");
        }

        @Test
        @DisplayName("the key is checked before the operand")
        void keyBeforeOperand() {
            assertThatThrownBy(() -> Operation.parse(List.of("add", "a b", "zz")))
                    .hasMessageStartingWith("bad key: a b");
        }

        @Test
        @DisplayName("set with a value over 64 KiB fails at parse time")
        void setValueTooLong() {
            assertThatThrownBy(() -> Operation.parse(List.of("set", "x", "v".repeat(70_000))))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("value too long: 70000 bytes, at most 65536");
        }

        @Test
        @DisplayName("an operand with more than 1000 digits fails at parse time")
        void operandTooLarge() {
            assertThatThrownBy(() -> Operation.parse(List.of("add", "x", "1".repeat(1001))))
                    .isInstanceOf(OperationException.class)
                    .hasMessageStartingWith("number too large: 111");
            assertThatThrownBy(() -> new Operation.Mult("x", new BigDecimal("1E+1000")))
                    .isInstanceOf(OperationException.class)
                    .hasMessage("number too large");
        }

        @Test
        @DisplayName("every parse error is a single line, even for words with line breaks")
        void errorsAreOneLine() {
            List<List<String>> bad = List.of(
                    List.of("add", "x", "1\n2"),
                    List.of("mult", "x", "x\r\ny"),
                    List.of("no\ncommand"),
                    List.of("add", "x", "\u2028"),
                    List.of("get", "k".repeat(300) + "\n"),
                    List.of("get", "a\u0085b"),
                    List.of("set", "a\u2029b", "1"));
            for (List<String> words : bad) {
                assertThatThrownBy(() -> Operation.parse(words))
                        .isInstanceOf(OperationException.class)
                        .satisfies(e -> assertOneLine(e.getMessage()));
            }
        }
    }

    @Nested
    @DisplayName("failures change nothing")
    class FailuresChangeNothing {
        @Test
        @DisplayName("a failing add/mult leaves every key as it was")
        void failuresLeaveDataAlone() {
            String nines = "9".repeat(1000);
            run("set a " + nines);
            run("set b text");
            SortedMap<String, Value> before = new TreeMap<>(data);
            assertThat(run("add b 1").ok()).isFalse();
            assertThat(run("mult b 1").ok()).isFalse();
            assertThat(run("add c 1").ok()).isFalse();
            assertThat(run("mult c 1").ok()).isFalse();
            assertThat(run("mult a 10").ok()).isFalse();
            assertThat(run("add a 1").ok()).isFalse();
            assertThat(data).isEqualTo(before);
        }
    }

    static void assertOneLine(String message) {
        assertThat(message).doesNotContain("\n", "\r", "\u0085", "\u2028", "\u2029");
    }
}
