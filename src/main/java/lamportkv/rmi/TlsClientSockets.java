package lamportkv.rmi;

import java.io.IOException;
import java.net.Socket;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.rmi.ssl.SslRMIClientSocketFactory;

/**
 * Client sockets of a TLS deployment: the JDK's {@link SslRMIClientSocketFactory}, but with this
 * process's TLS context ({@link Transport#useTls}) instead of the JVM default, TLS 1.3 only, a
 * bounded connect and handshake time and no Nagle delay. Serialized inside every stub of a TLS
 * replica: it carries no key material.
 */
public final class TlsClientSockets extends SslRMIClientSocketFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        SSLContext context = Transport.clientContext();
        if (context == null) {
            throw new IOException("the replica at " + host + ":" + port + " requires TLS (tls.enabled=true), but this"
                    + " process is not configured for it: set tls.enabled=true and the tls.* settings in its configuration");
        }
        Socket plain = ClientSockets.connect(host, port);
        try {
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
            socket.setEnabledProtocols(Transport.PROTOCOLS);
            socket.setUseClientMode(true);
            socket.setSoTimeout(ClientSockets.CONNECT_TIMEOUT_MILLIS);
            socket.startHandshake();        // a bad certificate is reported here, not as a broken RMI stream
            socket.setSoTimeout(0);
            return socket;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlsClientSockets;
    }

    @Override
    public int hashCode() {
        return TlsClientSockets.class.hashCode();
    }
}
