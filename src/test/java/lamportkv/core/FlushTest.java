package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Rule V4, the flush, on reports written by hand. */
class FlushTest {
    private static final View VIEW_3 = new View(3, List.of(1, 2, 3));

    private static Request r(long ts, int origin) {
        return new Request(new RequestId(ts, origin), new Operation.Add("x", BigDecimal.ONE));
    }

    private static Report report(int from, long applied, Optional<RequestId> last, long clock, Request... buffer) {
        return new Report(from, from * 100L, 3, true, applied, last, clock, List.of(buffer));
    }

    @Test
    @DisplayName("the most advanced reporter says where to start; the union of the buffers above it is kept, in order")
    void unionAboveTheMostAdvanced() {
        // Replica 1 applied (5,1) already; replica 2 still holds it, and (7,2) that replica 1 never got.
        Report one = report(1, 10, Optional.of(new RequestId(5, 1)), 20, r(9, 1));
        Report two = report(2, 9, Optional.of(new RequestId(4, 3)), 30, r(5, 1), r(7, 2), r(9, 1));
        Decision d = Flush.decide(VIEW_3, List.of(one, two), Map.of(), false).orElseThrow();
        assertThat(d.view()).isEqualTo(new View(4, List.of(1, 2)));
        assertThat(d.appliedCount()).isEqualTo(10);
        assertThat(d.lastApplied()).contains(new RequestId(5, 1));
        assertThat(d.kept()).extracting(Request::id).containsExactly(new RequestId(7, 2), new RequestId(9, 1));
        assertThat(d.clockFloor()).isEqualTo(30);
        assertThat(d.joiners()).isEmpty();
        assertThat(d.startApplied()).isEqualTo(12);
    }

    @Test
    @DisplayName("the intersection (the broken variant) would drop a request only one report holds")
    void intersectionDrops() {
        Report one = report(1, 10, Optional.of(new RequestId(5, 1)), 20, r(9, 1));
        Report two = report(2, 10, Optional.of(new RequestId(5, 1)), 30, r(7, 2), r(9, 1));
        assertThat(Flush.decide(VIEW_3, List.of(one, two), Map.of(), false).orElseThrow().kept()).hasSize(2);
        assertThat(Flush.decide(VIEW_3, List.of(one, two), Map.of(), true).orElseThrow().kept())
                .extracting(Request::id).containsExactly(new RequestId(9, 1));
    }

    @Test
    @DisplayName("a reporter without the view's state, or outside it, counts for the majority but not for the flush: it joins")
    void reportersWithoutTheStateJoin() {
        Report one = report(1, 10, Optional.of(new RequestId(5, 1)), 20);
        Report stale = new Report(3, 333, 3, false, 2, Optional.of(new RequestId(2, 3)), 99, List.of(r(50, 3)));
        Decision d = Flush.decide(VIEW_3, List.of(one, stale), Map.of(4, 444L), false).orElseThrow();
        assertThat(d.view().members()).containsExactly(1, 3, 4);
        assertThat(d.joiners()).containsExactly(new Decision.Joiner(3, 333), new Decision.Joiner(4, 444));
        assertThat(d.kept()).as("a stale buffer is not kept").isEmpty();
        assertThat(d.clockFloor()).as("every reported clock").isEqualTo(99);
    }

    @Test
    @DisplayName("no report holds the previous view's state: no view can be built (rather than one from nothing)")
    void noHolderNoView() {
        Report stale = new Report(3, 333, 3, false, 2, Optional.empty(), 9, List.of());
        Report other = new Report(2, 222, 2, true, 2, Optional.empty(), 9, List.of());     // of an older view
        assertThat(Flush.decide(VIEW_3, List.of(stale, other), Map.of(), false)).isEmpty();
    }
}
