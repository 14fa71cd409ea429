package lamportkv.client;

/** A command that did not succeed. The message is one line for the user, printed after {@code error: }. */
final class CommandFailure extends Exception {
    private static final long serialVersionUID = 1L;

    CommandFailure(String message) {
        super(message, null, false, false);
    }
}
