package lamportkv.config;

/** A configuration the replicas cannot run with. The message is one line, for the user. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
