package lamportkv.config;

import java.util.Objects;

/** Where one replica listens: its RMI registry and remote objects share {@code host:port}. */
public record ReplicaAddress(int id, String host, int port) {
    public ReplicaAddress {
        if (id <= 0) {
            throw new IllegalArgumentException("replica ids are positive integers: " + id);
        }
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad port " + port);
        }
    }

    /** {@code host:port}, with IPv6 literals in brackets. */
    public String hostPort() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return "replica " + id + " at " + hostPort();
    }
}
