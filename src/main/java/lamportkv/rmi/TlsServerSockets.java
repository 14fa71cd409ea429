package lamportkv.rmi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.rmi.ssl.SslRMIServerSocketFactory;

/**
 * Server sockets of a TLS deployment: the JDK's {@link SslRMIServerSocketFactory} with TLS 1.3
 * only and client authentication required, listening only on the replica's configured address
 * (the JDK's own listens on every interface). A connection without a certificate from the
 * cluster's CA fails in the handshake, before RMI reads a byte of it.
 */
public final class TlsServerSockets extends SslRMIServerSocketFactory {
    private final InetAddress bindAddress;
    private final SSLContext context;

    public TlsServerSockets(InetAddress bindAddress, SSLContext context) {
        super(context, null, Transport.PROTOCOLS, true);
        this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
        this.context = context;
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        SSLSocketFactory factory = context.getSocketFactory();
        ServerSocket socket = new ServerSocket() {
            @Override
            public Socket accept() throws IOException {
                Socket accepted = super.accept();
                try {
                    accepted.setTcpNoDelay(true);
                    SSLSocket tls = (SSLSocket) factory.createSocket(accepted,
                            accepted.getInetAddress().getHostAddress(), accepted.getPort(), true);
                    tls.setUseClientMode(false);
                    tls.setEnabledProtocols(Transport.PROTOCOLS);
                    tls.setNeedClientAuth(true);
                    return tls;
                } catch (IOException | RuntimeException e) {
                    accepted.close();
                    throw e;
                }
            }
        };
        return ServerSockets.bind(socket, bindAddress, port);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlsServerSockets s && s.bindAddress.equals(bindAddress) && s.context == context;
    }

    @Override
    public int hashCode() {
        return bindAddress.hashCode();
    }
}
