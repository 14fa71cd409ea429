package lamportkv.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads back a flat one-line JSON object of numbers and plain strings, keeping the field order. */
final class JsonLine {
    private static final Pattern FIELD = Pattern.compile("\"([a-z0-9_]+)\":(\"([^\"\\\\]*)\"|-?[0-9.]+)");

    private JsonLine() {
    }

    static Map<String, String> parse(String json) {
        String body = json.strip();
        if (!body.startsWith("{") || !body.endsWith("}")) {
            throw new IllegalArgumentException("not a JSON object: " + json);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher m = FIELD.matcher(body);
        int end = 1;
        while (m.find()) {
            if (m.start() != end) {
                throw new IllegalArgumentException("unexpected text at " + end + " in " + json);
            }
            fields.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(2));
            end = m.end();
            if (body.charAt(end) == ',') {
                end++;
            }
        }
        if (end != body.length() - 1) {
            throw new IllegalArgumentException("unexpected text at " + end + " in " + json);
        }
        return fields;
    }
}
