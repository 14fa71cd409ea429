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
 * noisy machine is not enough), or after {@code maxMillis} whatever the rate does.
 *
 * <p>And, where the JVMs can tell, only once their JIT compilers are done: the rate alone can
 * stay flat for more than {@code SPAN} seconds on the plateau of the first compiled code while
 * the optimising compiler still works (seen here on a slow day: a run that stopped at 28 s
 * measured 942 ops/s, one on the same code that warmed 60 s, 8,060). So the compilers of the
 * replicas and of the bench together must have spent at most {@link #QUIET_COMPILE_MILLIS} over
 * the last {@code SPAN} windows. Pure: fed with (time, count, compile time) samples, it reads no
 * clock.
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
    /**
     * JIT compile time over the last {@link #SPAN} windows, all JVMs together, below which the
     * compilers count as done: 5% of one core (while they work, it is about half a core per JVM).
     */
    static final long QUIET_COMPILE_MILLIS = SPAN * 1_000 / 20;

    private final long maxNanos;
    private final long start;
    private final List<Double> rates = new ArrayList<>();
    /** The compile time at the end of each window (-1: unknown). */
    private final List<Long> compiled = new ArrayList<>();
    private long lastCompileMillis = -1;
    private long lastCompiling = -1;
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
        return sample(now, count, -1);
    }

    /**
     * As {@link #sample(long, long)}, with the compile time the JVMs' JIT compilers have spent so
     * far ({@code -1}: unknown, and then the rate alone decides).
     */
    boolean sample(long now, long count, long compileMillis) {
        lastCompileMillis = compileMillis;
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
        compiled.add(lastCompileMillis);
        int n = rates.size();
        if (n < 2 * SPAN) {
            return;
        }
        double recent = median(n - SPAN, n);
        double before = median(n - 2 * SPAN, n - SPAN);
        lastRise = before > 0 ? recent / before - 1 : (recent > 0 ? 1 : 0);
        long nowCompiled = compiled.get(n - 1);
        long thenCompiled = compiled.get(n - 1 - SPAN);
        lastCompiling = nowCompiled < 0 || thenCompiled < 0 ? -1 : nowCompiled - thenCompiled;
        boolean compilersDone = lastCompiling < 0 || lastCompiling <= QUIET_COMPILE_MILLIS;
        steady = lastRise < RISE && compilersDone ? steady + 1 : 0;
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
        String rise = String.format(Locale.ROOT, "rate %+.0f%% over the last %d s", 100 * lastRise, SPAN);
        return lastCompiling < 0 ? rise : rise + String.format(Locale.ROOT, ", JIT %.1f s", lastCompiling / 1e3);
    }
}
