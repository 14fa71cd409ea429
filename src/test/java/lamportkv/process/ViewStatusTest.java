package lamportkv.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The {@code view:} line of {@code status} as the fault tests read it ({@link ViewStatus#parse}). */
class ViewStatusTest {
    @Test
    void readsTheViewNumberAndMembers() {
        List<String> status = List.of("replica 1 at 127.0.0.1:7101", "clock:   61", "view:    4 (members 1 2 3)",
                "applied: 10 operations");
        assertThat(ViewStatus.parse(status)).contains(new ViewStatus.View(4, new TreeSet<>(Set.of(1, 2, 3))));
    }

    @Test
    void toleratesCommasAndTrailingWords() {
        assertThat(ViewStatus.parse(List.of("view: 12 (members 1, 3, 5); changing")))
                .contains(new ViewStatus.View(12, new TreeSet<>(Set.of(1, 3, 5))));
    }

    @Test
    void noViewLineIsEmpty() {
        assertThat(ViewStatus.parse(List.of("replica 1 at 127.0.0.1:7101", "clock:   61"))).isEqualTo(Optional.empty());
    }
}
