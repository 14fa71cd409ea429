package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

class WarmUpTest {
    private static final long SECOND = 1_000_000_000L;

    /** Feeds one sample every 100 ms of a load whose rate at second t is {@code rate(t)}; returns when it ended (s). */
    private static double run(LongUnaryOperator rate, long maxMillis) {
        return run(rate, t -> -1, maxMillis);
    }

    /** As above, with the JVMs' JIT compilers busy {@code jitShare(t)} per mille of one core at second t (-1: unknown). */
    private static double run(LongUnaryOperator rate, LongUnaryOperator jitPerMille, long maxMillis) {
        WarmUp w = new WarmUp(0, 0, maxMillis);
        double count = 0;
        double compiled = 0;
        for (long tenth = 1; tenth <= 10 * 600; tenth++) {
            count += rate.applyAsLong((tenth - 1) / 10) / 10.0;
            long share = jitPerMille.applyAsLong((tenth - 1) / 10);
            compiled += share < 0 ? 0 : share / 10.0;
            if (w.sample(tenth * SECOND / 10, (long) count, share < 0 ? -1 : (long) compiled)) {
                return tenth / 10.0;
            }
        }
        throw new AssertionError("never warm");
    }

    @Test
    void aFlatRateWhileTheCompilersStillWorkIsNotWarm() {
        // The slow day's shape: flat from 10 s (the first compiled code) while the optimising
        // compilers work (half a core in all) until 40 s; then they are quiet.
        LongUnaryOperator rate = t -> t < 10 ? 300 : 800;
        LongUnaryOperator jit = t -> t < 40 ? 500 : 5;
        assertThat(run(rate, t -> -1, 60_000)).as("the rate alone stops on the plateau").isLessThan(35);
        double ended = run(rate, jit, 60_000);
        assertThat(ended).as("with the compilers' time: once they are done").isGreaterThan(49).isLessThan(60);
    }

    @Test
    void quietCompilersDoNotDelayASteadyRate() {
        assertThat(run(t -> 5_000, t -> 10, 60_000)).isEqualTo(2 * WarmUp.SPAN + WarmUp.STEADY - 1.0);
    }

    @Test
    void compilersThatNeverQuietDownEndAtTheCap() {
        assertThat(run(t -> 5_000, t -> 400, 30_000)).isEqualTo(30.0);
    }

    @Test
    void aSteadyRateIsWarmAsSoonAsTheRuleCanTell() {
        // 2 x 5 windows to compare, then 3 in a row without a rise.
        assertThat(run(t -> 5_000, 60_000)).isEqualTo(2 * WarmUp.SPAN + WarmUp.STEADY - 1.0);
    }

    @Test
    void aRisingRateKeepsItWarmingUntilTheRiseStops() {
        // A JIT warming up: the rate climbs 5% a second for 25 s, then holds.
        LongUnaryOperator climb = t -> (long) (1_000 * Math.pow(1.05, Math.min(t, 25)));
        double ended = run(climb, 60_000);
        assertThat(ended).isGreaterThan(25).isLessThan(50);
    }

    @Test
    void oneDipIsNotTheEndOfTheRise() {
        // Rising 4% a second, with one slow second at 12 s.
        LongUnaryOperator dip = t -> t == 12 ? 300 : (long) (1_000 * Math.pow(1.04, Math.min(t, 30)));
        assertThat(run(dip, 60_000)).isGreaterThan(30);
    }

    @Test
    void aPlateauShorterThanTheSpanIsNotTheEnd() {
        // As measured on a cold cluster: 1,250 ops/s from 5 s to 16 s (the first compiled code),
        // then 5,000 (the optimised code), steady.
        LongUnaryOperator jit = t -> t < 5 ? 600 : t < 16 ? 1_250 : 5_000;
        assertThat(run(jit, 60_000)).isGreaterThan(30);
    }

    @Test
    void itEndsAtTheCapWhateverTheRate() {
        assertThat(run(t -> 1_000 + 100 * t, 20_000)).isEqualTo(20.0);
    }

    @Test
    void itSaysWhatItWaitsFor() {
        WarmUp w = new WarmUp(0, 0, 60_000);
        assertThat(w.state()).isEqualTo("measuring the rise");
        long count = 0;
        for (int s = 1; s <= 2 * WarmUp.SPAN; s++) {
            count += 1_000L * s;
            w.sample(s * SECOND, count);
        }
        assertThat(w.state()).startsWith("rate +").endsWith("% over the last 10 s");
        WarmUp known = new WarmUp(0, 0, 60_000);
        count = 0;
        for (int s = 1; s <= 2 * WarmUp.SPAN; s++) {
            count += 1_000L * s;
            known.sample(s * SECOND, count, 300L * s);
        }
        assertThat(known.state()).as("with the compilers' time of the last 10 s").startsWith("rate +")
                .endsWith("% over the last 10 s, JIT 3.0 s");
    }
}
