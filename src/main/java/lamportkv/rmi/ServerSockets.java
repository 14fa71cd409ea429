package lamportkv.rmi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.rmi.server.RMIServerSocketFactory;
import java.util.Objects;

/**
 * Server sockets that listen only on the replica's configured address, not on every interface.
 * The registry and both remote objects are exported with one equal instance, so RMI shares a
 * single port among them. Accepted connections send without Nagle's delay.
 */
public final class ServerSockets implements RMIServerSocketFactory {
    private final InetAddress bindAddress;

    public ServerSockets(InetAddress bindAddress) {
        this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        ServerSocket socket = new ServerSocket() {
            @Override
            public Socket accept() throws IOException {
                Socket accepted = super.accept();
                accepted.setTcpNoDelay(true);   // replies are small: send them now, not after Nagle's wait
                return accepted;
            }
        };
        return bind(socket, bindAddress, port);
    }

    /** Binds {@code socket} to {@code address}:{@code port} (TLS server sockets too); closes it if that fails. */
    static ServerSocket bind(ServerSocket socket, InetAddress address, int port) throws IOException {
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address, port), 256);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServerSockets s && s.bindAddress.equals(bindAddress);
    }

    @Override
    public int hashCode() {
        return bindAddress.hashCode();
    }
}
