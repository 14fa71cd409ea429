package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AdmissionTest {

    @Test
    void nothingIsStampedWhileTheReplicasOwnRequestsWait() {
        Admission<String> admission = new Admission<>(10);
        admission.add("a");
        admission.add("b");
        assertThat(admission.next(1)).isEmpty();
        assertThat(admission.next(7)).isEmpty();
        assertThat(admission.size()).isEqualTo(2);
    }

    @Test
    void onceNoneWaitsEveryWaitingOperationIsStampedInArrivalOrder() {
        Admission<String> admission = new Admission<>(10);
        for (String op : new String[] {"a", "b", "c"}) {
            admission.add(op);
        }
        assertThat(admission.next(0)).containsExactly("a", "b", "c");
        assertThat(admission.size()).isZero();
        assertThat(admission.next(0)).isEmpty();
    }

    @Test
    void aBatchHoldsAtMostTheLimitAndTheRestFollowsInOrder() {
        Admission<Integer> admission = new Admission<>(3);
        for (int i = 1; i <= 7; i++) {
            admission.add(i);
        }
        assertThat(admission.next(0)).containsExactly(1, 2, 3);
        assertThat(admission.next(3)).isEmpty();
        assertThat(admission.next(0)).containsExactly(4, 5, 6);
        assertThat(admission.next(0)).containsExactly(7);
    }

    @Test
    void aWithdrawnOperationIsNeverStamped() {
        Admission<String> admission = new Admission<>(10);
        admission.add("a");
        admission.add("b");
        assertThat(admission.withdraw("a")).isTrue();
        assertThat(admission.withdraw("a")).as("only once").isFalse();
        assertThat(admission.next(0)).containsExactly("b");
        assertThat(admission.withdraw("b")).as("already stamped").isFalse();
    }

    @Test
    void drainEmptiesIt() {
        Admission<String> admission = new Admission<>(2);
        admission.add("a");
        admission.add("b");
        admission.add("c");
        assertThat(admission.drain()).containsExactly("a", "b", "c");
        assertThat(admission.next(0)).isEmpty();
    }

    @Test
    void theLimitMustBePositive() {
        assertThatThrownBy(() -> new Admission<>(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
