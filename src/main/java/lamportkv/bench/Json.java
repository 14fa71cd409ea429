package lamportkv.bench;

/**
 * A one-line JSON object writer: enough for a line of numbers and a few strings, with strings
 * escaped as RFC 8259 requires, so no JSON library is needed.
 */
final class Json {
    private final StringBuilder text = new StringBuilder("{");

    Json field(String name, String value) {
        name(name);
        string(value);
        return this;
    }

    Json field(String name, long value) {
        name(name);
        text.append(value);
        return this;
    }

    /** A number written as given (e.g. {@code 12.5}); it must be a JSON number. */
    Json number(String name, String number) {
        if (!number.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
            throw new IllegalArgumentException("not a JSON number: " + number);
        }
        name(name);
        text.append(number);
        return this;
    }

    private void name(String name) {
        if (text.length() > 1) {
            text.append(',');
        }
        string(name);
        text.append(':');
    }

    private void string(String s) {
        text.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> text.append("\\\"");
                case '\\' -> text.append("\\\\");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        text.append(String.format("\\u%04x", (int) c));
                    } else {
                        text.append(c);
                    }
                }
            }
        }
        text.append('"');
    }

    @Override
    public String toString() {
        return text + "}";
    }
}
