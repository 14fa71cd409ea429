package lamportkv.core;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A value in the dictionary: an exact decimal number or a piece of text.
 *
 * <p>Numbers are {@link BigDecimal}s kept without trailing zeros, so {@code 2.50} and {@code 2.5}
 * are the same value and print the same way, and {@code add x 0.1} ten times on {@code 0} gives
 * exactly {@code 1}. Binary floating point never enters.
 */
public sealed interface Value permits Value.Num, Value.Text {

    /** The most digits a number may have, written out in full (input or result). */
    int MAX_DIGITS = 1000;

    /** The most bytes (UTF-8) a value may have. */
    int MAX_VALUE_BYTES = 64 * 1024;

    /** Plain decimal notation only: an optional sign, digits, an optional fraction. No exponent. */
    Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d+)?|\\.\\d+)");

    /** The value as the shell prints it. */
    String render();

    /** An exact number. */
    record Num(BigDecimal number) implements Value {
        public Num {
            Objects.requireNonNull(number, "number");
            number = normalize(number);
        }

        @Override
        public String render() {
            return number.toPlainString();
        }
    }

    /** Text: anything that does not parse as a number. */
    record Text(String text) implements Value {
        public Text {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String render() {
            return text;
        }
    }

    /**
     * Reads a value as {@code set} stores it: a number if the whole string is a plain decimal,
     * text otherwise.
     *
     * @throws OperationException if the value is too long or the number has too many digits
     */
    static Value parse(String raw) {
        Objects.requireNonNull(raw, "raw");
        if (raw.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
            throw new OperationException("value too long: " + raw.getBytes(StandardCharsets.UTF_8).length
                    + " bytes, at most " + MAX_VALUE_BYTES);
        }
        if (DECIMAL.matcher(raw).matches()) {
            return new Num(parseNumber(raw));
        }
        return new Text(raw);
    }

    /**
     * Reads an operand of {@code add} or {@code mult}.
     *
     * @throws OperationException naming the input if it is not a plain decimal or is too large
     */
    static BigDecimal parseNumber(String raw) {
        if (raw.length() > MAX_DIGITS + 3 || !DECIMAL.matcher(raw).matches()) {
            if (DECIMAL.matcher(raw).matches()) {
                throw new OperationException("number too large: " + abbreviate(raw));
            }
            throw new OperationException("not a number: " + abbreviate(raw));
        }
        BigDecimal n = normalize(new BigDecimal(raw));
        if (plainDigits(n) > MAX_DIGITS) {
            throw new OperationException("number too large: " + abbreviate(raw));
        }
        return n;
    }

    /** Rejects a number with more than {@link #MAX_DIGITS} digits written out in plain notation. */
    static BigDecimal checkSize(BigDecimal number) {
        BigDecimal n = normalize(number);
        if (plainDigits(n) > MAX_DIGITS) {
            throw new OperationException("number too large");
        }
        return n;
    }

    /** How many digits {@link BigDecimal#toPlainString()} writes for {@code n} (sign and point excluded). */
    static long plainDigits(BigDecimal n) {
        long precision = n.precision();
        long scale = n.scale();
        if (scale <= 0) {
            return precision - scale;            // 12E+3 -> 12000
        }
        return scale >= precision ? scale + 1 : precision;   // 0.05 -> 3, 1.25 -> 3
    }

    private static BigDecimal normalize(BigDecimal n) {
        if (n.signum() == 0) {
            return BigDecimal.ZERO;
        }
        BigDecimal stripped = n.stripTrailingZeros();
        // Keep integers at scale 0 so equal numbers are equal records (1E+1 vs 10).
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }

    /** The input as an error message quotes it: at most 40 characters, and on one line. */
    private static String abbreviate(String s) {
        String shown = s.length() <= 40 ? s : s.substring(0, 37) + "...";
        return shown.replaceAll("[\\p{Cc}\\u2028\\u2029]", "?");     // controls (NEL too) and line separators
    }
}
