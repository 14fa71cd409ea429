package lamportkv.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Any storage failure. Unchecked because the owner cannot do anything local about it except stop
 * accepting work. The message is one line that names the file (and offset where it matters) and
 * says what to do, because it ends up in front of an operator.
 */
public final class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message) {
        super(oneLine(message));
    }

    public StorageException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** An I/O error on path while doing action (e.g. "write to"), with the OS's own words and advice. */
    static StorageException io(String action, Path path, IOException e, String advice) {
        return new StorageException("cannot " + action + " " + path + ": " + describe(e) + "; " + advice, e);
    }

    /** The OS message of e, e.g. "No space left on device"; the class name when the message alone says nothing. */
    static String describe(IOException e) {
        String message = e.getMessage();
        String name = e.getClass().getSimpleName();
        if (message == null || message.isBlank()) {
            return name;
        }
        // NoSuchFileException and friends carry only the path as message: the class name is the information.
        return e.getClass() == IOException.class ? message : name + ": " + message;
    }

    private static String oneLine(String message) {
        return message == null ? null : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
