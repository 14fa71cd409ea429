package lamportkv.client;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a typed line into words at whitespace. Quotes keep spaces inside one word, since text
 * values may hold them ({@code set greeting "hello world"}): {@code '...'} takes everything
 * literally, {@code "..."} allows {@code \"} and {@code \\}.
 */
public final class Words {
    private Words() {
    }

    /**
     * The word as {@link #split} reads it back: as it is if it needs no quotes, else in single
     * quotes, else (it holds a single quote) in double quotes with {@code \"} and {@code \\}.
     * Empty if the word cannot be written on one line (it holds a line break).
     */
    public static java.util.Optional<String> quote(String word) {
        if (word.chars().anyMatch(c -> c == '\n' || c == '\r')) {
            return java.util.Optional.empty();
        }
        if (!word.isEmpty() && word.chars().noneMatch(c -> Character.isWhitespace(c) || c == '\'' || c == '"')) {
            return java.util.Optional.of(word);
        }
        if (word.indexOf('\'') < 0) {
            return java.util.Optional.of("'" + word + "'");
        }
        return java.util.Optional.of('"' + word.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
    }

    /**
     * @throws IllegalArgumentException with a one-line message if a quote is not closed
     */
    public static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'' || c == '"') {
                i = quoted(line, i, word);
                inWord = true;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    /** Appends the quoted part starting at {@code open} to {@code word}; returns the index after its closing quote. */
    private static int quoted(String line, int open, StringBuilder word) {
        char quote = line.charAt(open);
        int i = open + 1;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == quote) {
                return i + 1;
            }
            if (quote == '"' && c == '\\' && i + 1 < line.length()
                    && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) {
                i++;
                c = line.charAt(i);
            }
            word.append(c);
            i++;
        }
        throw new IllegalArgumentException("unclosed " + (quote == '"' ? "double" : "single")
                + " quote; close it, or put the text in the other kind of quotes");
    }
}
