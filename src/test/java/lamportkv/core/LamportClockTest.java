package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The three clock rules of PROTOCOL.md: internal event, send, receive. */
class LamportClockTest {

    @Test
    @DisplayName("a new clock starts at 0")
    void startsAtZero() {
        assertThat(new LamportClock().time()).isZero();
    }

    @Test
    @DisplayName("internal event: L = L + 1")
    void internalEventAddsOne() {
        LamportClock clock = new LamportClock(7);
        assertThat(clock.onInternalEvent()).isEqualTo(8);
        assertThat(clock.onInternalEvent()).isEqualTo(9);
        assertThat(clock.time()).isEqualTo(9);
    }

    @Test
    @DisplayName("send: L = L + 1 and the message carries the new L")
    void sendAddsOneAndReturnsTheStamp() {
        LamportClock clock = new LamportClock(3);
        long stamp = clock.onSend();
        assertThat(stamp).isEqualTo(4);
        assertThat(clock.time()).isEqualTo(4);
    }

    @Test
    @DisplayName("receive of a stamp above the clock: L = t + 1")
    void receiveOfALargerStampJumpsPastIt() {
        LamportClock clock = new LamportClock(2);
        assertThat(clock.onReceive(10)).isEqualTo(11);
        assertThat(clock.time()).isEqualTo(11);
    }

    @Test
    @DisplayName("receive of a stamp below the clock: L = L + 1")
    void receiveOfASmallerStampStillTicks() {
        LamportClock clock = new LamportClock(20);
        assertThat(clock.onReceive(5)).isEqualTo(21);
    }

    @Test
    @DisplayName("receive of a stamp equal to the clock: L = L + 1")
    void receiveOfAnEqualStampTicks() {
        LamportClock clock = new LamportClock(9);
        assertThat(clock.onReceive(9)).isEqualTo(10);
    }

    @Test
    @DisplayName("a negative start or restore is refused")
    void negativeTimeIsRefused() {
        assertThatThrownBy(() -> new LamportClock(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        LamportClock clock = new LamportClock(4);
        assertThatThrownBy(() -> clock.restore(-2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(clock.time()).isEqualTo(4);
        clock.restore(40);
        assertThat(clock.time()).isEqualTo(40);
    }

    @Test
    @DisplayName("toString shows L=<time>")
    void toStringShowsTheTime() {
        assertThat(new LamportClock(12)).hasToString("L=12");
    }
}
