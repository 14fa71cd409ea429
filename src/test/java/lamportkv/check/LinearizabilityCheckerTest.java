package lamportkv.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import lamportkv.core.Operation;
import lamportkv.core.Result;
import lamportkv.core.Value;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checker accepts what a linearizable map may answer and catches each classic anomaly.
 * Histories are written as {@code op(process, "command", invokedAt, completedAt, "answer")};
 * an answer starting with {@code !} is a failure.
 */
class LinearizabilityCheckerTest {

    private static Operation parse(String line) {
        return Operation.parse(List.of(line.split(" ")));
    }

    private static Entry op(int process, String line, long from, long to, String answer) {
        Result r = answer.startsWith("!") ? Result.error(answer.substring(1)) : Result.ok(answer);
        return Entry.completed(process, parse(line), from, to, r);
    }

    private static Entry unknown(int process, String line, long from) {
        return Entry.unknown(process, parse(line), from);
    }

    private static CheckResult check(Entry... history) {
        return LinearizabilityChecker.check(List.of(history));
    }

    private static void assertLinearizable(Entry... history) {
        CheckResult r = check(history);
        assertThat(r.ok()).as(r.explanation()).isTrue();
    }

    private static CheckResult assertViolation(Entry... history) {
        CheckResult r = check(history);
        assertThat(r.verdict()).as(r.explanation()).isEqualTo(CheckResult.Verdict.VIOLATION);
        return r;
    }

    @Nested
    @DisplayName("compare-and-set")
    class CompareAndSet {
        @Test
        @DisplayName("concurrent cas from absent: exactly one may win, either one")
        void oneWinner() {
            for (int winner : new int[] {1, 2}) {
                assertLinearizable(
                        op(1, "cas leader (nil) a", 0, 10, winner == 1 ? "1" : "0"),
                        op(2, "cas leader (nil) b", 1, 11, winner == 2 ? "1" : "0"),
                        op(3, "get leader", 12, 13, winner == 1 ? "a" : "b"));
            }
        }

        @Test
        @DisplayName("two cas from absent that both won: caught")
        void twoWinnersAreCaught() {
            CheckResult r = assertViolation(
                    op(1, "cas leader (nil) a", 0, 10, "1"),
                    op(2, "cas leader (nil) b", 1, 11, "1"));
            assertThat(r.explanation()).contains("cas leader (nil)");
        }

        @Test
        @DisplayName("a cas that lost to a write that finished before it began: caught if it claims the old value")
        void staleCompareIsCaught() {
            assertViolation(
                    op(1, "set k 1", 0, 1, "OK"),
                    op(2, "set k 2", 2, 3, "OK"),
                    op(3, "cas k 1 9", 4, 5, "1"));
            assertLinearizable(
                    op(1, "set k 1", 0, 1, "OK"),
                    op(2, "set k 2", 2, 3, "OK"),
                    op(3, "cas k 1 9", 4, 5, "0"),
                    op(3, "get k", 6, 7, "2"));
        }

        @Test
        @DisplayName("rev and the lock operations touch no value: skipped, never a violation")
        void revAndLocksAreSkipped() {
            assertLinearizable(
                    op(1, "set k 1", 0, 1, "OK"),
                    op(2, "rev k", 2, 3, "1"),
                    op(3, "lock k 10", 4, 5, "granted 3"),
                    op(3, "get k", 6, 7, "1"));
        }
    }

    @Nested
    @DisplayName("legal histories pass")
    class Legal {
        @Test
        @DisplayName("a sequential history, failures included")
        void sequential() {
            assertLinearizable(
                    op(1, "get x", 0, 1, "(nil)"),
                    op(1, "mult x 2", 2, 3, "!no such key: x"),
                    op(1, "set x hello", 4, 5, "OK"),
                    op(1, "add x 1", 6, 7, "!not a number: x"),
                    op(1, "set x 2", 8, 9, "OK"),
                    op(1, "mult x 3", 10, 11, "6"),
                    op(1, "del x", 12, 13, "1"),
                    op(1, "del x", 14, 15, "0"));
        }

        @Test
        @DisplayName("concurrent writes may take effect in either order")
        void concurrentWritesEitherOrder() {
            for (String seen : List.of("1", "2")) {
                assertLinearizable(
                        op(1, "set x 1", 0, 10, "OK"),
                        op(2, "set x 2", 1, 11, "OK"),
                        op(3, "get x", 12, 13, seen));
            }
        }

        @Test
        @DisplayName("a read concurrent with a write may see the old or the new value")
        void readDuringWrite() {
            for (String seen : List.of("1", "2")) {
                assertLinearizable(
                        op(1, "set x 1", 0, 1, "OK"),
                        op(1, "set x 2", 2, 10, "OK"),
                        op(2, "get x", 3, 4, seen));
            }
        }

        @Test
        @DisplayName("concurrent adds each see the other's effect in one order")
        void concurrentAdds() {
            assertLinearizable(
                    op(1, "set c 0", 0, 1, "OK"),
                    op(1, "add c 1", 2, 9, "2"),
                    op(2, "add c 1", 3, 8, "1"),
                    op(3, "get c", 4, 5, "1"));
        }

        @Test
        @DisplayName("keys are checked independently, and keys commands are skipped")
        void independentKeys() {
            assertLinearizable(
                    op(1, "set x 1", 0, 1, "OK"),
                    op(2, "set y a", 0, 1, "OK"),
                    op(3, "keys", 2, 3, "this is not checked"),
                    op(1, "get y", 4, 5, "a"),
                    op(2, "get x", 4, 5, "1"));
        }

        @Test
        @DisplayName("every history a linearizable map produces passes (random, 300 histories)")
        void randomLinearizableHistoriesPass() {
            Random random = new Random(42);
            for (int round = 0; round < 300; round++) {
                List<Entry> history = randomLinearizableHistory(random);
                CheckResult r = LinearizabilityChecker.check(history);
                assertThat(r.ok()).as("round %d: %s", round, r.explanation()).isTrue();
            }
        }

        @Test
        @DisplayName("corrupting one read of such a history is caught")
        void corruptedRandomHistoriesFail() {
            Random random = new Random(7);
            for (int round = 0; round < 100; round++) {
                List<Entry> history = new ArrayList<>(randomLinearizableHistory(random));
                int victim = -1;
                for (int i = 0; i < history.size(); i++) {
                    if (history.get(i).op() instanceof Operation.Get && history.get(i).known()) {
                        victim = i;
                    }
                }
                if (victim < 0) {
                    continue;
                }
                Entry e = history.get(victim);
                history.set(victim, Entry.completed(e.process(), e.op(), e.invokedAt(), e.completedAt(),
                        Result.ok("never-written")));
                assertThat(LinearizabilityChecker.check(history).verdict()).as("round %d", round)
                        .isEqualTo(CheckResult.Verdict.VIOLATION);
            }
        }
    }

    @Nested
    @DisplayName("illegal histories are caught")
    class Illegal {
        @Test
        @DisplayName("a stale read after a completed write")
        void staleRead() {
            CheckResult r = assertViolation(
                    op(1, "set x 1", 0, 1, "OK"),
                    op(1, "set x 2", 2, 3, "OK"),
                    op(2, "get x", 4, 5, "1"));
            assertThat(r.explanation()).contains("key x").contains("p2 get x -> 1 [4,5]")
                    .contains("would return 2");
        }

        @Test
        @DisplayName("a lost update: two concurrent adds both see the same base")
        void lostUpdate() {
            CheckResult r = assertViolation(
                    op(1, "set c 0", 0, 1, "OK"),
                    op(1, "add c 1", 2, 5, "1"),
                    op(2, "add c 1", 3, 6, "1"));
            assertThat(r.explanation()).contains("key c").contains("add c 1 -> 1");
        }

        @Test
        @DisplayName("a read of a value never written")
        void phantomValue() {
            CheckResult r = assertViolation(
                    op(1, "set x 1", 0, 1, "OK"),
                    op(2, "get x", 0, 3, "7"));
            assertThat(r.explanation()).contains("key x").contains("get x -> 7");
        }

        @Test
        @DisplayName("a real-time order violation: a read sees a write that began after the read ended")
        void realTimeOrder() {
            assertViolation(
                    op(1, "set x 1", 0, 1, "OK"),
                    op(2, "get x", 2, 3, "2"),
                    op(1, "set x 2", 4, 5, "OK"));
            // The same answers with the write overlapping the read are fine.
            assertLinearizable(
                    op(1, "set x 1", 0, 1, "OK"),
                    op(2, "get x", 2, 4, "2"),
                    op(1, "set x 2", 3, 5, "OK"));
        }

        @Test
        @DisplayName("a real-time order violation between two writes, seen by a later read")
        void writesOutOfRealTimeOrder() {
            assertViolation(
                    op(1, "set x 1", 0, 1, "OK"),
                    op(2, "set x 2", 2, 3, "OK"),
                    op(3, "get x", 4, 5, "1"),
                    op(3, "get x", 6, 7, "1"));
        }

        @Test
        @DisplayName("duplicate add results")
        void duplicateAddResults() {
            assertViolation(
                    op(1, "set c 0", 0, 1, "OK"),
                    op(1, "add c 2", 2, 3, "2"),
                    op(2, "add c 2", 4, 5, "2"));
        }

        @Test
        @DisplayName("a failure the state cannot explain is a violation too")
        void impossibleFailure() {
            CheckResult r = assertViolation(
                    op(1, "set x 1", 0, 1, "OK"),
                    op(2, "add x 1", 2, 3, "!no such key: x"));
            assertThat(r.explanation()).contains("error: no such key: x");
        }

        @Test
        @DisplayName("a success where the state can only fail is a violation")
        void impossibleSuccess() {
            assertViolation(
                    op(1, "set x hello", 0, 1, "OK"),
                    op(2, "add x 1", 2, 3, "1"));
        }

        @Test
        @DisplayName("a violation on one key is reported even when other keys are fine")
        void violationOnOneKey() {
            CheckResult r = assertViolation(
                    op(1, "set a 1", 0, 1, "OK"),
                    op(1, "get a", 2, 3, "1"),
                    op(2, "set b 1", 0, 1, "OK"),
                    op(2, "get b", 2, 3, "(nil)"));
            assertThat(r.explanation()).startsWith("key b");
        }
    }

    @Nested
    @DisplayName("indeterminate operations")
    class Indeterminate {
        @Test
        @DisplayName("one that took effect")
        void tookEffect() {
            assertLinearizable(
                    op(1, "set x 1", 0, 1, "OK"),
                    unknown(2, "set x 2", 2),
                    op(3, "get x", 5, 6, "2"),
                    op(3, "get x", 7, 8, "2"));
        }

        @Test
        @DisplayName("one that did not take effect")
        void didNotTakeEffect() {
            assertLinearizable(
                    op(1, "set x 1", 0, 1, "OK"),
                    unknown(2, "set x 2", 2),
                    op(3, "get x", 5, 6, "1"),
                    op(3, "get x", 7, 8, "1"));
        }

        @Test
        @DisplayName("one that takes effect late, after reads that did not see it")
        void tookEffectLate() {
            assertLinearizable(
                    op(1, "set c 0", 0, 1, "OK"),
                    unknown(2, "add c 5", 2),
                    op(3, "get c", 5, 6, "0"),
                    op(3, "add c 1", 7, 8, "1"),
                    op(3, "get c", 9, 10, "6"));
        }

        @Test
        @DisplayName("cannot take effect before its invocation")
        void notBeforeInvocation() {
            assertViolation(
                    op(1, "set x 1", 0, 1, "OK"),
                    op(3, "get x", 2, 3, "2"),
                    unknown(2, "set x 2", 4));
        }

        @Test
        @DisplayName("cannot take effect twice, nor be undone")
        void notUndone() {
            assertViolation(
                    op(1, "set x 1", 0, 1, "OK"),
                    unknown(2, "set x 2", 2),
                    op(3, "get x", 5, 6, "2"),
                    op(3, "get x", 7, 8, "1"));
        }

        @Test
        @DisplayName("an unanswered read constrains nothing")
        void unansweredRead() {
            assertLinearizable(
                    op(1, "set x 1", 0, 1, "OK"),
                    unknown(2, "get x", 0),
                    op(3, "get x", 5, 6, "1"));
        }

        @Test
        @DisplayName("a History call never completed counts as indeterminate")
        void neverCompletedCall() {
            long[] now = {0};
            History history = new History(() -> now[0]++);
            history.invoke(1, parse("set x 1")).complete(Result.ok("OK"));
            history.invoke(2, parse("set x 2"));          // never answered
            history.invoke(3, parse("get x")).complete(Result.ok("2"));

            assertThat(LinearizabilityChecker.check(history.entries()).ok()).isTrue();
        }
    }

    @ParameterizedTest(name = "budget {0}")
    @ValueSource(longs = {1, 5})
    @DisplayName("a search over budget is inconclusive, not a violation")
    void inconclusive(long budget) {
        List<Entry> history = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            history.add(op(p, "set x " + p, 0, 100, "OK"));
        }
        history.add(op(9, "get x", 101, 102, "7"));
        CheckResult r = LinearizabilityChecker.check(history, budget);
        assertThat(r.verdict()).isEqualTo(CheckResult.Verdict.INCONCLUSIVE);
        assertThat(r.ok()).isFalse();
        assertThat(r.explanation()).contains("key x").contains("gave up");
        assertThat(LinearizabilityChecker.check(history).ok()).isTrue();
    }

    /**
     * Runs a sequential map and wraps each operation's instant in a random interval around it, so
     * operations overlap but the history stays linearizable. About one in ten has its answer lost,
     * half of those after taking effect and half before.
     */
    static List<Entry> randomLinearizableHistory(Random random) {
        TreeMap<String, Value> map = new TreeMap<>();
        List<Entry> history = new ArrayList<>();
        String[] keys = {"x", "y", "z"};
        int count = 10 + random.nextInt(40);
        for (int i = 0; i < count; i++) {
            String key = keys[random.nextInt(keys.length)];
            Operation operation = parse(switch (random.nextInt(6)) {
                case 0 -> "set " + key + " " + (random.nextInt(5) == 0 ? "t" : random.nextInt(6));
                case 1, 2 -> "get " + key;
                case 3 -> "add " + key + " " + (1 + random.nextInt(3));
                case 4 -> "mult " + key + " " + random.nextInt(3);
                default -> "del " + key;
            });
            long at = 10L * (i + 1);
            long from = at - random.nextInt(30);
            long to = at + random.nextInt(30);
            int lost = random.nextInt(20);
            if (lost == 0) {
                history.add(Entry.unknown(i, operation, from));        // never happened
                continue;
            }
            Result r = ((Operation.OnData) operation).apply(map);
            history.add(lost == 1 ? Entry.unknown(i, operation, from)  // happened, answer lost
                    : Entry.completed(i, operation, from, to, r));
        }
        return history;
    }
}
