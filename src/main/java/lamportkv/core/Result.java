package lamportkv.core;

import java.util.Objects;

/**
 * What an operation produced, as the shell prints it: a success with its output line, or a
 * failure with its one-line message. A result is a value, so every replica computes the same one.
 */
public record Result(boolean ok, String text) {

    public Result {
        Objects.requireNonNull(text, "text");
    }

    public static Result ok(String text) {
        return new Result(true, text);
    }

    public static Result error(String message) {
        return new Result(false, message);
    }
}
