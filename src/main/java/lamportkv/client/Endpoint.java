package lamportkv.client;

import java.util.Objects;
import lamportkv.config.ReplicaAddress;

/**
 * A replica the client may talk to.
 *
 * @param id the replica's id in the configuration, or {@link #UNKNOWN_ID} when given as {@code --connect HOST:PORT}
 */
record Endpoint(int id, String host, int port) {
    static final int UNKNOWN_ID = 0;

    Endpoint {
        Objects.requireNonNull(host, "host");
    }

    static Endpoint of(ReplicaAddress address) {
        return new Endpoint(address.id(), address.host(), address.port());
    }

    /**
     * Reads {@code --connect}'s {@code HOST:PORT} ({@code [::1]:7101} for IPv6).
     *
     * @throws IllegalArgumentException with a one-line message naming the input
     */
    static Endpoint parse(String text) {
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "" : text.substring(0, colon);
        String portText = colon < 0 ? "" : text.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            host = "";   // an IPv6 literal must be bracketed, or the port is ambiguous
        }
        if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace) || !portText.matches("[0-9]{1,5}")
                || Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535) {
            throw new IllegalArgumentException("--connect: expected HOST:PORT (e.g. 127.0.0.1:7101 or [::1]:7101),"
                    + " found '" + text + "'");
        }
        return new Endpoint(UNKNOWN_ID, host, Integer.parseInt(portText));
    }

    /** {@code host:port}, with IPv6 literals in brackets. */
    String hostPort() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** {@code replica 1 at 127.0.0.1:7101}, or {@code the replica at 127.0.0.1:7101} when the id is unknown. */
    String describe() {
        return (id == UNKNOWN_ID ? "the replica" : "replica " + id) + " at " + hostPort();
    }

    /** {@code replica 1 (127.0.0.1:7101)}, or {@code 127.0.0.1:7101} when the id is unknown: where an attempt went. */
    String name() {
        return id == UNKNOWN_ID ? hostPort() : "replica " + id + " (" + hostPort() + ")";
    }

    /** The shell's prompt, without the {@code "> "}. */
    String promptName() {
        return id == UNKNOWN_ID ? hostPort() : "replica " + id;
    }
}
