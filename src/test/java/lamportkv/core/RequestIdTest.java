package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Requests are totally ordered by (ts, origin). */
class RequestIdTest {

    @Test
    @DisplayName("a lower stamp comes first, whatever the origin")
    void orderedByStampFirst() {
        assertThat(new RequestId(1, 9)).isLessThan(new RequestId(2, 1));
        assertThat(new RequestId(5, 1)).isGreaterThan(new RequestId(4, 3));
    }

    @Test
    @DisplayName("equal stamps: the lower origin id breaks the tie")
    void tieBrokenByOrigin() {
        assertThat(new RequestId(7, 1)).isLessThan(new RequestId(7, 2));
        assertThat(new RequestId(7, 3)).isGreaterThan(new RequestId(7, 2));
        assertThat(new RequestId(7, 2).compareTo(new RequestId(7, 2))).isZero();
    }

    @Test
    @DisplayName("sorting a list gives the (ts, origin) order")
    void sortsIntoTheTotalOrder() {
        List<RequestId> ids = new ArrayList<>(List.of(
                new RequestId(3, 1), new RequestId(1, 3), new RequestId(2, 2), new RequestId(1, 1), new RequestId(3, 2)));
        ids.sort(null);
        assertThat(ids).containsExactly(
                new RequestId(1, 1), new RequestId(1, 3), new RequestId(2, 2), new RequestId(3, 1), new RequestId(3, 2));
    }

    @Test
    @DisplayName("stamps and origins must be positive")
    void rejectsNonPositiveFields() {
        assertThatThrownBy(() -> new RequestId(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RequestId(-5, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RequestId(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RequestId(1, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("toString is (ts,origin)")
    void toStringFormat() {
        assertThat(new RequestId(12, 3)).hasToString("(12,3)");
    }
}
