package lamportkv.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * When the default warm-up ends: once the rate has stopped rising. On two cores the replicas'
 * JIT compilers take most of a core for their first 20-30 s, and the rate climbs all that time; a
 * fixed short warm-up measures the climb, a fixed long one wastes minutes on a warm cluster.
 *
 * <p>The rule, over one-second windows of successful operations: compare the median rate of the
 * last {@link #SPAN} windows with the median of the {@code SPAN} before them (a median, so that one
 * stalled second, a collection or a neighbour's burst, neither ends nor prolongs the warm-up). The load counts as warm once
 * that rise has stayed below {@link #RISE} for {@link #STEADY} windows in a row (one dip of a
 * noisy machine is not enough), or after {@code maxMillis} whatever the rate does. Pure: fed with
 * (time, count) samples, it reads no clock.
 */
final class WarmUp {
    static final long WINDOW_NANOS = 1_000_000_000L;
    /**
     * Windows on each side of the comparison: long enough to span the plateau of the first
     * compiled code (C1) before the optimised code (C2) arrives, which lasted about 10 s here.
     */
    static final int SPAN = 10;
    /** A rise below this fraction is no rise. */
    static final double RISE = 0.03;
    /** Windows in a row without a rise. */
    static final int STEADY = 3;

    private final long maxNanos;
    private final long start;
    private final List<Double> rates = new ArrayList<>();
    private long windowStart;
    private long windowCount;
    private int steady;
    private double lastRise = Double.NaN;
    private boolean done;

    /**
     * @param start     when the load started (a {@link System#nanoTime()}), with
     * @param count     the successful operations counted by then
     * @param maxMillis the warm-up ends after this long in any case
     */
    WarmUp(long start, long count, long maxMillis) {
        this.start = start;
        this.windowStart = start;
        this.windowCount = count;
        this.maxNanos = maxMillis * 1_000_000;
    }

    /** The count of successful operations at time {@code now}; returns whether the warm-up is over. */
    boolean sample(long now, long count) {
        while (!done && now - windowStart >= WINDOW_NANOS) {
            // Whole windows only; a late sample spreads its operations evenly over the windows it spans.
            long windows = (now - windowStart) / WINDOW_NANOS;
            double rate = (count - windowCount) / ((now - windowStart) / 1e9);
            for (long w = 0; w < windows; w++) {
                addWindow(rate);
            }
            windowStart += windows * WINDOW_NANOS;
            windowCount = count;
        }
        if (now - start >= maxNanos) {
            done = true;
        }
        return done;
    }

    private void addWindow(double rate) {
        rates.add(rate);
        int n = rates.size();
        if (n < 2 * SPAN) {
            return;
        }
        double recent = median(n - SPAN, n);
        double before = median(n - 2 * SPAN, n - SPAN);
        lastRise = before > 0 ? recent / before - 1 : (recent > 0 ? 1 : 0);
        steady = lastRise < RISE ? steady + 1 : 0;
        if (steady >= STEADY) {
            done = true;
        }
    }

    private double median(int from, int to) {
        double[] window = rates.subList(from, to).stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return window[window.length / 2];
    }

    boolean done() {
        return done;
    }

    /** For the progress line: how much the rate still rises. */
    String state() {
        if (done) {
            return "warm";
        }
        if (Double.isNaN(lastRise)) {
            return "measuring the rise";
        }
        return String.format(Locale.ROOT, "rate %+.0f%% over the last %d s", 100 * lastRise, SPAN);
    }
}
