package lamportkv.rmi;

import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;

/** Finding a replica's remote objects in its registry. */
public final class Rmi {
    private Rmi() {
    }

    /**
     * The registry of the replica at {@code host:port}, over plain TCP or TLS as this process is
     * set up ({@link Transport}). Connects lazily, on the first call.
     */
    public static Registry registry(String host, int port) throws RemoteException {
        return LocateRegistry.getRegistry(host, port, Transport.clientSockets());
    }

    /** The client operations of the replica at {@code host:port}. */
    public static ReplicaService replicaService(String host, int port) throws RemoteException, NotBoundException {
        return (ReplicaService) registry(host, port).lookup(ReplicaService.NAME);
    }

    /** The peer protocol of the replica at {@code host:port}. */
    public static PeerService peerService(String host, int port) throws RemoteException, NotBoundException {
        return (PeerService) registry(host, port).lookup(PeerService.NAME);
    }

    /** The innermost cause's message, for one-line errors ("Connection refused"). */
    public static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        if (message != null && message.contains("non-JRMP server at remote endpoint")) {
            // What a plain client reads from a TLS replica: the bytes of a TLS alert.
            return message + " (a replica with tls.enabled=true speaks only TLS: set tls.enabled=true and the"
                    + " tls.* settings in this client's configuration)";
        }
        return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
    }
}
