package lamportkv.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import lamportkv.core.Operation;
import lamportkv.core.Result;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The counter check: distinct add results pass, a repeated one is a lost update. */
class DistinctAddsTest {

    private static Entry op(int process, String line, long from, long to, Result r) {
        return Entry.completed(process, Operation.parse(List.of(line.split(" "))), from, to, r);
    }

    @Test
    @DisplayName("distinct results pass; failed adds and other keys are ignored")
    void distinctPass() {
        CheckResult r = DistinctAdds.check(List.of(
                op(1, "add c 1", 0, 1, Result.error("no such key: c")),
                op(1, "set c 0", 2, 3, Result.ok("OK")),
                op(1, "add c 1", 4, 9, Result.ok("1")),
                op(2, "add c 2", 5, 8, Result.ok("3")),
                op(3, "get c", 6, 7, Result.ok("1")),
                op(3, "add other 1", 6, 7, Result.ok("3"))), "c");
        assertThat(r.ok()).as(r.explanation()).isTrue();
    }

    @Test
    @DisplayName("two adds returning the same value are caught, both named")
    void duplicateCaught() {
        CheckResult r = DistinctAdds.check(List.of(
                op(1, "set c 0", 0, 1, Result.ok("OK")),
                op(1, "add c 1", 2, 5, Result.ok("1")),
                op(2, "add c 1", 3, 6, Result.ok("1"))), "c");
        assertThat(r.verdict()).isEqualTo(CheckResult.Verdict.VIOLATION);
        assertThat(r.explanation()).contains("key c").contains("p1 add c 1 -> 1").contains("p2 add c 1 -> 1");
    }

    @Test
    @DisplayName("refuses a key that is not a counter, where repeats are legal")
    void refusesNonCounter() {
        assertThatThrownBy(() -> DistinctAdds.check(List.of(
                op(1, "add c -1", 0, 1, Result.ok("1"))), "c"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a counter");
        assertThatThrownBy(() -> DistinctAdds.check(List.of(
                op(1, "del c", 0, 1, Result.ok("1"))), "c"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
