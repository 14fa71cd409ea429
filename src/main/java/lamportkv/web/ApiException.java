package lamportkv.web;

/** An answer other than success: an HTTP status and a one-line message, sent as {@code {"error": ...}}. */
final class ApiException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    ApiException(int status, String message) {
        super(message.replaceAll("[\\r\\n]+", " "), null, false, false);
        this.status = status;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    int status() {
        return status;
    }
}
