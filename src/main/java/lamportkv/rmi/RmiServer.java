package lamportkv.rmi;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.rmi.NoSuchObjectException;
import java.rmi.Remote;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.ExportException;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * A replica's RMI presence: its own registry and its two remote objects, all on one port of one
 * address, plain or TLS. Each object reads its arguments through its own deserialization
 * allow-list ({@link SerialFilters}). {@link #close()} takes them all off the network.
 */
public final class RmiServer implements AutoCloseable {
    /** The registry's own deserialization filter, read by the JDK. */
    static final String REGISTRY_FILTER_PROPERTY = "sun.rmi.registry.registryFilter";
    /** How long {@link #close()} waits for the port to be free. */
    private static final long RELEASE_WAIT_MILLIS = 5_000;
    private final List<Remote> exported;
    private final InetAddress bindAddress;
    private final int port;

    private RmiServer(List<Remote> exported, InetAddress bindAddress, int port) {
        this.exported = exported;
        this.bindAddress = bindAddress;
        this.port = port;
    }

    /** As {@link #start(InetAddress, int, ReplicaService, PeerService, SSLContext)}, plain TCP. */
    public static RmiServer start(InetAddress bindAddress, int port, ReplicaService replica, PeerService peer)
            throws RemoteException {
        return start(bindAddress, port, replica, peer, null);
    }

    /**
     * Creates the registry on {@code bindAddress:port}, exports both services on the same port
     * and binds them under {@link ReplicaService#NAME} and {@link PeerService#NAME}.
     *
     * @param tls the replica's TLS context (TLS 1.3, client certificates required), or null for plain TCP
     * @throws RemoteException with a one-line message if the port cannot be had
     */
    public static RmiServer start(InetAddress bindAddress, int port, ReplicaService replica, PeerService peer,
                                  SSLContext tls) throws RemoteException {
        // Read once, when the JVM's first registry is made; the JDK's default list applies if it came earlier.
        if (System.getProperty(REGISTRY_FILTER_PROPERTY) == null) {
            System.setProperty(REGISTRY_FILTER_PROPERTY, SerialFilters.REGISTRY_PATTERN);
        }
        RMIServerSocketFactory serverSockets = tls == null ? new ServerSockets(bindAddress)
                : new TlsServerSockets(bindAddress, tls);
        RMIClientSocketFactory clientSockets = tls == null ? new ClientSockets() : new TlsClientSockets();
        Registry registry;
        try {
            registry = LocateRegistry.createRegistry(port, clientSockets, serverSockets);
        } catch (ExportException e) {
            if (e.getCause() instanceof BindException bind) {
                throw new ExportException("cannot listen on " + bindAddress.getHostAddress() + ":" + port + ": "
                        + bind.getMessage() + " (is another replica or program using that port?)");
            }
            throw e;
        }
        try {
            Remote replicaStub = UnicastRemoteObject.exportObject(replica, port, clientSockets, serverSockets,
                    SerialFilters.replicaService());
            Remote peerStub = UnicastRemoteObject.exportObject(peer, port, clientSockets, serverSockets,
                    SerialFilters.peerService());
            registry.rebind(ReplicaService.NAME, replicaStub);
            registry.rebind(PeerService.NAME, peerStub);
        } catch (RemoteException | RuntimeException e) {
            unexportQuietly(List.of(replica, peer, registry));
            throw e;
        }
        return new RmiServer(List.of(registry, replica, peer), bindAddress, port);
    }

    /**
     * Unexports everything and returns once the port is free again, so that a replica restarted
     * in the same JVM can listen on it at once. The wait is needed: unexporting the last object
     * closes the server socket while the JDK's accept thread ("TCP Accept-PORT") is blocked in
     * accept(2), and the kernel keeps the socket listening until that call returns, which can be
     * milliseconds later on a busy machine ("Address already in use" on restart). Waiting for
     * that thread alone was not enough: with both cores busy the port was still taken after it
     * had gone in one test run in three. So close asks the kernel itself: it binds the port, at
     * most {@link #RELEASE_WAIT_MILLIS}, and lets go of it at once.
     */
    @Override
    public void close() {
        unexportQuietly(exported);
        long deadline = System.nanoTime() + RELEASE_WAIT_MILLIS * 1_000_000;
        while (!canListen(bindAddress, port) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        // Still taken after the wait: someone else holds it, and the restart will say so, naming the port.
    }

    /** Whether a listening socket can be bound to {@code address:port} now (it is closed again at once). */
    private static boolean canListen(InetAddress address, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(address, port), 1);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static void unexportQuietly(List<Remote> objects) {
        for (Remote r : objects) {
            try {
                UnicastRemoteObject.unexportObject(r, true);
            } catch (NoSuchObjectException notExported) {
                // Nothing to take down.
            }
        }
    }
}
