package lamportkv.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import lamportkv.core.Operation;
import lamportkv.core.Result;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The recorder: times from its own source, completion once, indeterminate operations. */
class HistoryTest {
    private final AtomicLong now = new AtomicLong();
    private final History history = new History(now::incrementAndGet);

    private static Operation parse(String line) {
        return Operation.parse(List.of(line.split(" ")));
    }

    @Test
    @DisplayName("invoke and complete read the time source; the entry carries the result")
    void recordsTimesAndResult() {
        History.Call call = history.invoke(3, parse("set x 1"));
        call.complete(Result.ok("OK"));

        assertThat(history.entries()).containsExactly(
                Entry.completed(3, parse("set x 1"), 1, 2, Result.ok("OK")));
    }

    @Test
    @DisplayName("completeUnknown, or never completing, leaves the outcome unknown")
    void unknownOutcomes() {
        history.invoke(1, parse("add x 1")).completeUnknown();
        history.invoke(2, parse("del x"));

        assertThat(history.entries()).allSatisfy(e -> {
            assertThat(e.known()).isFalse();
            assertThat(e.completedAt()).isEqualTo(Entry.UNKNOWN);
            assertThat(e.result()).isEmpty();
        });
    }

    @Test
    @DisplayName("a call completes at most once")
    void completesOnce() {
        History.Call call = history.invoke(1, parse("get x"));
        call.complete(Result.ok("(nil)"));

        assertThatThrownBy(() -> call.complete(Result.ok("1"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(call::completeUnknown).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("failed operations are recorded as results like any other")
    void failuresAreResults() {
        history.invoke(1, parse("mult y 2")).complete(Result.error("no such key: y"));

        assertThat(history.entries().get(0).result()).isEqualTo(Optional.of(Result.error("no such key: y")));
    }

    @Test
    @DisplayName("many threads can record at once; every call is kept, every interval is well formed")
    void threadSafe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int process = t;
            done.add(pool.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    history.invoke(process, parse("add c 1")).complete(Result.ok(Integer.toString(i)));
                }
            }));
        }
        for (Future<?> f : done) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();

        List<Entry> entries = history.entries();
        assertThat(entries).hasSize(4000);
        assertThat(entries).allSatisfy(e -> assertThat(e.completedAt()).isGreaterThan(e.invokedAt()));
        assertThat(entries.stream().mapToLong(Entry::invokedAt).distinct().count()).isEqualTo(4000);
    }

    @Test
    @DisplayName("an entry cannot complete before it was invoked, nor have a result without a completion")
    void entryValidation() {
        assertThatThrownBy(() -> Entry.completed(1, parse("get x"), 5, 4, Result.ok("1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Entry(1, parse("get x"), 5, Entry.UNKNOWN, Optional.of(Result.ok("1"))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
