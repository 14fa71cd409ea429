package lamportkv.client;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** The client's durations: read from options in seconds (decimals allowed), printed back the same way. */
public final class Seconds {
    /** Longer than anyone waits for one command, short enough that milliseconds never overflow. */
    private static final BigDecimal MAX = BigDecimal.valueOf(1_000_000_000L);

    private Seconds() {
    }

    /**
     * Reads a number of seconds as milliseconds, rounded up so that {@code 0.0001} is not zero.
     *
     * @param option     the option's name, for the message
     * @param allowZero  whether {@code 0} is accepted
     * @throws IllegalArgumentException with a one-line message naming the input
     */
    public static long parseMillis(String option, String text, boolean allowZero) {
        BigDecimal seconds;
        try {
            seconds = new BigDecimal(text.strip());
        } catch (NumberFormatException e) {
            seconds = null;
        }
        if (seconds == null || seconds.signum() < 0 || (!allowZero && seconds.signum() == 0)
                || seconds.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(option + ": expected a " + (allowZero ? "" : "positive ")
                    + "number of seconds (e.g. 10 or 2.5), found '" + text + "'");
        }
        return seconds.movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** {@code 2500} → {@code 2.5s}. */
    public static String format(long millis) {
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + "s";
    }
}
