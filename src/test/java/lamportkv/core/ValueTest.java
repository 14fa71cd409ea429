package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Values: exact decimal numbers printed plainly, or text. */
class ValueTest {

    @ParameterizedTest(name = "\"{0}\" is the number {1}")
    @CsvSource({
            "5, 5",
            "10, 10",
            "2.50, 2.5",
            "0.10, 0.1",
            "-3, -3",
            "+7, 7",
            ".5, 0.5",
            "-.25, -0.25",
            "0, 0",
            "-0, 0",
            "0.000, 0",
            "007, 7",
            "100.000, 100",
            "123456789012345678901234567890.123456789, 123456789012345678901234567890.123456789",
    })
    void plainDecimalsAreNumbersPrintedWithoutTrailingZeros(String raw, String printed) {
        Value v = Value.parse(raw);
        assertThat(v).isInstanceOf(Value.Num.class);
        assertThat(v.render()).isEqualTo(printed);
    }

    @ParameterizedTest(name = "\"{0}\" is text")
    @ValueSource(strings = {"abc", "1e5", "1E5", "5.", "1.2.3", "0x10", "NaN", "Infinity", "1,5", "--1", "+", "-",
            " 5", "5 ", "١٢٣", "hello world", ""})
    void everythingElseIsText(String raw) {
        Value v = Value.parse(raw);
        assertThat(v).isEqualTo(new Value.Text(raw));
        assertThat(v.render()).isEqualTo(raw);
    }

    @Test
    @DisplayName("numbers never print with an exponent")
    void noExponentInOutput() {
        assertThat(new Value.Num(new BigDecimal("1E+3")).render()).isEqualTo("1000");
        assertThat(new Value.Num(new BigDecimal("1E-7")).render()).isEqualTo("0.0000001");
        assertThat(new Value.Num(new BigDecimal("12.3400E+5")).render()).isEqualTo("1234000");
    }

    @Test
    @DisplayName("equal numbers are equal values, whatever their scale")
    void equalNumbersAreEqualRecords() {
        assertThat(Value.parse("2.50")).isEqualTo(Value.parse("2.5"));
        assertThat(new Value.Num(new BigDecimal("1E+1"))).isEqualTo(new Value.Num(BigDecimal.TEN));
        assertThat(Value.parse("-0.0")).isEqualTo(Value.parse("0"));
        assertThat(Value.parse("5")).isNotEqualTo(new Value.Text("5"));
    }

    @Test
    @DisplayName("integers are kept at scale 0, so even BigDecimal.toString shows no exponent")
    void integersAtScaleZero() {
        Value.Num hundred = (Value.Num) Value.parse("100.00");
        assertThat(hundred.number().scale()).isZero();
        assertThat(hundred.number()).hasToString("100");
        assertThat(Value.parseNumber("1000")).hasToString("1000");
        assertThat(new Value.Num(new BigDecimal("2.500")).number()).hasToString("2.5");
    }

    @Test
    @DisplayName("a value of exactly 64 KiB is accepted, one byte more is refused naming its size")
    void valueSizeLimit() {
        String max = "v".repeat(Value.MAX_VALUE_BYTES);
        assertThat(Value.parse(max)).isEqualTo(new Value.Text(max));
        assertThatThrownBy(() -> Value.parse(max + "v"))
                .isInstanceOf(OperationException.class)
                .hasMessage("value too long: 65537 bytes, at most 65536");
    }

    @Test
    @DisplayName("the value limit counts UTF-8 bytes, not characters")
    void valueSizeCountsBytes() {
        String max = "é".repeat(Value.MAX_VALUE_BYTES / 2);      // 2 bytes each
        assertThat(Value.parse(max).render()).isEqualTo(max);
        assertThatThrownBy(() -> Value.parse(max + "é"))
                .isInstanceOf(OperationException.class)
                .hasMessage("value too long: 65538 bytes, at most 65536");
    }

    @Test
    @DisplayName("a number of 1000 digits is accepted, 1001 digits is refused")
    void digitLimitOnInput() {
        String thousand = "9".repeat(1000);
        assertThat(Value.parse(thousand).render()).isEqualTo(thousand);
        assertThat(Value.parseNumber("-" + thousand).toPlainString()).isEqualTo("-" + thousand);
        String smallFraction = "0." + "0".repeat(998) + "1";      // 1000 digits written out
        assertThat(Value.parseNumber(smallFraction).toPlainString()).isEqualTo(smallFraction);

        assertThatThrownBy(() -> Value.parse("1" + thousand))
                .isInstanceOf(OperationException.class)
                .hasMessageStartingWith("number too large");
        assertThatThrownBy(() -> Value.parseNumber("0." + "0".repeat(999) + "1"))
                .isInstanceOf(OperationException.class)
                .hasMessageStartingWith("number too large");
        assertThatThrownBy(() -> Value.parseNumber("7".repeat(5000)))
                .isInstanceOf(OperationException.class)
                .hasMessageStartingWith("number too large");
    }

    @Test
    @DisplayName("a number too large is refused naming (an abbreviation of) the input")
    void tooLargeInputIsNamed() {
        String big = "12345" + "0".repeat(1000);
        assertThatThrownBy(() -> Value.parseNumber(big))
                .isInstanceOf(OperationException.class)
                .hasMessageStartingWith("number too large: 12345")
                .hasMessageEndingWith("...");
        assertThatThrownBy(() -> Value.parseNumber("-" + "8".repeat(1002)))       // within the length guard
                .isInstanceOf(OperationException.class)
                .hasMessageStartingWith("number too large: -888");
    }

    @ParameterizedTest(name = "parseNumber(\"{0}\") fails naming it")
    @ValueSource(strings = {"abc", "1e3", "", "5.", "0x1F", "1 000"})
    void parseNumberNamesBadInput(String raw) {
        assertThatThrownBy(() -> Value.parseNumber(raw))
                .isInstanceOf(OperationException.class)
                .hasMessage("not a number: " + raw);
    }

    @Test
    @DisplayName("a long bad number is abbreviated in the message, which stays one line")
    void longBadInputIsAbbreviated() {
        String raw = "x".repeat(100);
        assertThatThrownBy(() -> Value.parseNumber(raw))
                .isInstanceOf(OperationException.class)
                .hasMessage("not a number: " + "x".repeat(37) + "...");
        assertThatThrownBy(() -> Value.parseNumber("1\n2"))
                .isInstanceOf(OperationException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\r").startsWith("not a number: 1"));
    }

    @Test
    @DisplayName("plainDigits counts the digits toPlainString writes")
    void plainDigits() {
        assertThat(Value.plainDigits(new BigDecimal("12E+3"))).isEqualTo(5);
        assertThat(Value.plainDigits(new BigDecimal("0.05"))).isEqualTo(3);
        assertThat(Value.plainDigits(new BigDecimal("1.25"))).isEqualTo(3);
        assertThat(Value.plainDigits(new BigDecimal("-7"))).isEqualTo(1);
        assertThat(Value.plainDigits(BigDecimal.ZERO)).isEqualTo(1);
    }
}
