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

    /** A remote call, for {@link #readingWithin}. */
    @FunctionalInterface
    public interface Call<T> {
        T call() throws RemoteException;
    }

    /**
     * Whether {@link #readingWithin} bounds this process's calls: over plain TCP with the
     * connections' own sockets ({@link BusySocket}); not over TLS.
     */
    public static boolean boundedReads() {
        return BusySocket.ENABLED && Transport.clientContext() == null;
    }

    /**
     * Makes {@code call} on this thread, failing it (a {@link RemoteException}, as a lost
     * connection does) if the answer does not come within {@code millis}, where RMI's own limit
     * ({@code sun.rmi.transport.tcp.responseTimeout}) is longer: for a call made on a thread that
     * has something else to do. Only where {@link #boundedReads()}; elsewhere RMI's limit holds.
     */
    public static <T> T readingWithin(int millis, Call<T> call) throws RemoteException {
        Integer before = BusySocket.READ_WITHIN.get();
        BusySocket.READ_WITHIN.set(millis);
        try {
            return call.call();
        } finally {
            if (before == null) {
                BusySocket.READ_WITHIN.remove();
            } else {
                BusySocket.READ_WITHIN.set(before);
            }
        }
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
