package lamportkv.rmi;

import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.rmi.server.RMIClientSocketFactory;

/**
 * Client sockets for the replicas' stubs: a bounded connect time, so an unreachable replica is
 * reported in seconds rather than after the operating system's minutes-long TCP timeout, no
 * Nagle delay, so small batches leave at once, and no liveness ping before each call on a busy
 * connection ({@link BusySocket}). Serialized inside every stub; equal instances let
 * RMI reuse connections.
 */
public final class ClientSockets implements RMIClientSocketFactory, Serializable {
    private static final long serialVersionUID = 1L;

    /** How long a connect may take. */
    public static final int CONNECT_TIMEOUT_MILLIS = 3_000;

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connect(BusySocket.ENABLED ? new BusySocket() : new Socket(), host, port);
    }

    /** A plain TCP connection as every replica and client makes it (TLS ones start here too). */
    static Socket connect(String host, int port) throws IOException {
        return connect(new Socket(), host, port);
    }

    private static Socket connect(Socket socket, String host, int port) throws IOException {
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientSockets;
    }

    @Override
    public int hashCode() {
        return ClientSockets.class.hashCode();
    }
}
